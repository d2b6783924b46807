#include "main/domain_hooks.h"

#include "documents/document_hooks.h"
#include "notify/document_notices.h"
#include "profile/profile.h"

namespace carnet {

void register_domain_hooks(access::HookRegistry& hooks, documents::Vault& vault) {
  // Who entered an item, measurements and the BMI (every type, Observation).
  profile::register_profile_hooks(hooks);
  // Binary and DocumentReference: bytes, attachments, submission sets, replacements, labels.
  documents::register_document_hooks(hooks, vault);
  // DocumentReference: the holder is told of a new document.
  notify::register_notice_hooks(hooks);
}

}  // namespace carnet
