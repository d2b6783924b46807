#include "notify/document_notices.h"

#include <nlohmann/json.hpp>

#include "access/care.h"
#include "access/repository.h"
#include "documents/document_hooks.h"
#include "identity/spaces.h"

namespace carnet::notify {
namespace {

class NewDocumentNotice final : public access::ResourceHooks {
 public:
  Status after_write(access::WriteContext& w, const fhir::ResourceVersion& v, const nlohmann::json& resource) const override {
    if (!w.create || w.derived) return Status::ok();
    const access::Actor& actor = w.repo.actor();
    if (actor.kind == access::ActorKind::kHolder) return Status::ok();
    bool professional = actor.kind == access::ActorKind::kProfessional;
    if (professional && documents::visibility_labels(resource).withheld_from_patient) return Status::ok();
    std::string author = "Un de vos représentants";
    if (professional) {
      auto name = access::professional_name(w.repo.tx(), w.repo.ring(), w.repo.clock(), actor.idnatps);
      if (name.is_ok()) author = *name;
    }
    CARNET_RETURN_IF_ERROR(identity::notify_holder(w.repo.tx(), w.repo.ring(), w.space, "new_document", "document_added",
                                                   {{"author", author}, {"date", v.last_updated.substr(0, 10)}},
                                                   v.last_updated));
    return w.repo.tx().publish(kDocumentsChannel, w.space);
  }
};

}  // namespace

void register_notice_hooks(access::HookRegistry& hooks) {
  hooks.add("DocumentReference", std::make_shared<NewDocumentNotice>());
}

}  // namespace carnet::notify
