#include "documents/document_hooks.h"

#include <map>
#include <nlohmann/json.hpp>

#include "access/matrix.h"
#include "access/repository.h"
#include "core/encoding.h"
#include "crypto/random.h"
#include "documents/content_type.h"
#include "documents/staging.h"
#include "fhir/search_index.h"

namespace carnet::documents {
namespace {

using json = nlohmann::json;

const json& member(const json& object, const char* name) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

std::string text(const json& object, const char* name) {
  const json& v = member(object, name);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::vector<std::string> codes_of(const json& concepts) {
  std::vector<std::string> out;
  auto add = [&](const json& cc) {
    const json& codings = member(cc, "coding");
    if (!codings.is_array()) return;
    for (const auto& c : codings) {
      std::string code = text(c, "code");
      if (!code.empty()) out.push_back(code);
    }
  };
  if (concepts.is_array()) {
    for (const auto& cc : concepts) add(cc);
  } else {
    add(concepts);
  }
  return out;
}

bool professional(const access::WriteContext& w) { return w.repo.actor().kind == access::ActorKind::kProfessional; }

DocumentStaging* staging_of(const access::WriteContext& w) { return dynamic_cast<DocumentStaging*>(w.attachments); }

class BinaryHooks final : public access::ResourceHooks {
 public:
  explicit BinaryHooks(Vault& vault) : vault_(vault) {}

  void labels(const access::WriteContext& w, const json&, access::Labels& out) const override {
    out.labelled = true;
    out.category = professional(w) ? "reports" : "patient-documents";
  }

  // The bytes staged for this resource become its content (a DocumentReference's Binaries are
  // named by the DocumentReference's hooks).
  Status after_write(access::WriteContext& w, const fhir::ResourceVersion& v, const json&) const override {
    if (w.derived) return Status::ok();
    if (DocumentStaging* staging = staging_of(w)) {
      for (const auto* s : staging->of(w.key)) {
        if (s->content_index) continue;
        return vault_.attach(w.repo.tx(), w.space, v.id, v.version, s->blob, s->content_type);
      }
    }
    return Status::invalid("Binary.data: a Binary must carry the document (data)");
  }

 private:
  Vault& vault_;
};

class DocumentReferenceHooks final : public access::ResourceHooks {
 public:
  explicit DocumentReferenceHooks(Vault& vault) : vault_(vault) {}

  Status before_write(access::WriteContext& w, json& resource) const override {
    Published published;
    CARNET_RETURN_IF_ERROR(publish_inline(w, resource, published));
    return complete_attachments(w, resource, published);
  }

  void labels(const access::WriteContext& w, const json& resource, access::Labels& out) const override {
    out.labelled = true;
    out.category = access::document_category(codes_of(member(resource, "category")), codes_of(member(resource, "type")));
    if (out.category.empty()) out.category = professional(w) ? "reports" : "patient-documents";
    VisibilityLabels v = visibility_labels(resource);
    out.withheld_from_patient = v.withheld_from_patient;
    out.hidden_from_representatives = v.hidden_from_representatives;
    out.hidden_from_professionals = v.hidden_from_professionals;
    out.followers = fhir::attachment_binaries(resource);
  }

  Status after_write(access::WriteContext& w, const fhir::ResourceVersion& v, const json& resource) const override {
    if (inline_published(w)) CARNET_RETURN_IF_ERROR(submission_set(w, v, resource));
    return supersede(w, v, resource);
  }

  // A document's bytes go with it.
  Status on_delete(access::WriteContext& w, const fhir::ResourceVersion& current) const override {
    auto doc = json::parse(current.json, nullptr, false);
    for (const auto& b : fhir::attachment_binaries(doc)) CARNET_RETURN_IF_ERROR(w.repo.remove_derived(w, "Binary", b).status());
    return Status::ok();
  }

 private:
  static bool inline_published(const access::WriteContext& w) {
    DocumentStaging* staging = staging_of(w);
    if (!staging || w.derived) return false;
    for (const auto* s : staging->of(w.key)) {
      if (s->content_index) return true;
    }
    return false;
  }

  // The bytes of each attachment published inline, by content index: known from the upload,
  // not read back (on PostgreSQL, reading rows of the space that concurrent creates insert
  // next to is what makes them conflict).
  using Published = std::map<size_t, BinaryContent>;

  // Inline documents (ITI-105) become Binaries of their own first.
  Status publish_inline(access::WriteContext& w, json& resource, Published& published) const {
    DocumentStaging* staging = staging_of(w);
    if (!staging || w.derived) return Status::ok();
    for (const auto* s : staging->of(w.key)) {
      if (!s->content_index) continue;
      json binary = {{"resourceType", "Binary"}, {"contentType", s->content_type},
                     {"securityContext", {{"reference", "DocumentReference/" + w.id}}}};
      auto bv = w.repo.create_derived(w, "Binary", std::move(binary));
      if (!bv.is_ok()) return bv.status();
      CARNET_RETURN_IF_ERROR(vault_.attach(w.repo.tx(), w.space, bv->id, bv->version, s->blob, s->content_type));
      resource["content"][*s->content_index]["attachment"]["url"] = "Binary/" + bv->id;
      BinaryContent& c = published[*s->content_index];
      c.size = s->blob.size;
      c.sha1 = s->blob.sha1;
      c.content_type = s->content_type;
    }
    return Status::ok();
  }

  // The bytes an attachment names: a Binary of this record.
  Result<BinaryContent> named_bytes(access::WriteContext& w, const std::string& at, const std::string& ref) const {
    std::string id = ref.substr(7);
    auto bv = w.repo.related(w.space, "Binary", id);
    if (!bv.is_ok()) {
      if (bv.status().code() == ErrorCode::kNotFound || bv.status().code() == ErrorCode::kGone) {
        return Status::invalid(at + ".url: " + ref + " is not in this person's record");
      }
      return bv.status();
    }
    return vault_.content(w.repo.tx(), w.space, id, bv->version);
  }

  // Every attachment names a Binary of this record; its size, hash and type are the bytes'.
  Status complete_attachments(access::WriteContext& w, json& resource, const Published& published) const {
    json& content = resource["content"];
    if (!content.is_array() || content.empty()) return Status::invalid("DocumentReference.content: the document is missing");
    for (size_t i = 0; i < content.size(); ++i) {
      json& a = content[i]["attachment"];
      std::string at = "DocumentReference.content[" + std::to_string(i) + "].attachment";
      std::string url = text(a, "url");
      if (url.empty()) return Status::invalid(at + ": the document is missing (give data, or url naming a Binary)");
      std::string ref = fhir::normalize_reference(url);
      if (ref.rfind("Binary/", 0) != 0) return Status::invalid(at + ".url must name a Binary of this record (Binary/<id>)");
      auto inline_bytes = published.find(i);
      auto c = inline_bytes != published.end() ? Result<BinaryContent>(inline_bytes->second) : named_bytes(w, at, ref);
      if (!c.is_ok()) return c.status();
      std::string hash = base64_encode(c->sha1);
      if (a.contains("size") && (!a["size"].is_number_unsigned() || a["size"].get<uint64_t>() != c->size)) {
        return Status::invalid(at + ".size (" + a["size"].dump() + ") is not the document's size (" + std::to_string(c->size) +
                               " bytes): the upload may be incomplete");
      }
      if (a.contains("hash") && a["hash"] != hash) {
        return Status::invalid(at + ".hash is not the SHA-1 of the document received: the upload may be incomplete or altered");
      }
      if (a.contains("contentType")) {
        auto declared = format_of_mime(text(a, "contentType"));
        if (declared != format_of_mime(c->content_type)) {
          return Status::invalid(at + ".contentType '" + text(a, "contentType") + "' is not the type of " + ref + " (" +
                                 c->content_type + ")");
        }
      } else {
        a["contentType"] = c->content_type;
      }
      a["url"] = ref;
      a["size"] = c->size;
      a["hash"] = hash;
    }
    return Status::ok();
  }

  // Published inline (ITI-105 simplified publish): the server makes its submission set.
  static Status submission_set(access::WriteContext& w, const fhir::ResourceVersion& v, const json& doc) {
    json list = {{"resourceType", "List"},
                 {"status", "current"},
                 {"mode", "working"},
                 {"code", {{"coding", json::array({{{"system", "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"},
                                                     {"code", "submissionset"}}})}}},
                 {"date", v.last_updated},
                 {"identifier", json::array({{{"use", "official"}, {"system", "urn:ietf:rfc:3986"},
                                              {"value", "urn:uuid:" + crypto::time_ordered_uuid()}}})},
                 {"entry", json::array({{{"item", {{"reference", "DocumentReference/" + v.id}}}}})}};
    if (doc.contains("subject")) list["subject"] = doc["subject"];
    const json& authors = member(doc, "author");
    if (authors.is_array()) {
      for (const auto& a : authors) {
        if (a.is_object() && a.contains("reference")) {
          list["source"] = a;
          break;
        }
      }
    }
    return w.repo.create_derived(w, "List", std::move(list)).status();
  }

  // Replacing a document changes it (it becomes superseded): the caller must be allowed to.
  static Status supersede(access::WriteContext& w, const fhir::ResourceVersion& v, const json& doc) {
    const json& relations = member(doc, "relatesTo");
    if (!relations.is_array()) return Status::ok();
    for (const auto& r : relations) {
      if (text(r, "code") != "replaces") continue;
      std::string ref = fhir::normalize_reference(text(member(r, "target"), "reference"));
      if (ref.rfind("DocumentReference/", 0) != 0) {
        return Status::invalid("DocumentReference.relatesTo.target must reference the DocumentReference replaced");
      }
      std::string old_id = ref.substr(std::string_view("DocumentReference/").size());
      if (old_id == v.id) return Status::invalid("a document cannot replace itself");
      auto old = w.repo.related(w.space, "DocumentReference", old_id);
      if (!old.is_ok()) return old.status().with_context("replacing " + ref);
      json o = json::parse(old->json, nullptr, false);
      if (!o.is_object()) return Status::corrupt("replacing " + ref + ": the stored document is not a resource");
      if (text(o, "status") == "superseded") return Status::conflict(ref + " was already replaced");
      o["status"] = "superseded";
      auto nv = w.repo.update_related(w, "DocumentReference", old_id, std::move(o), old->version);
      if (!nv.is_ok()) return nv.status().with_context("replacing " + ref);
    }
    return Status::ok();
  }

  Vault& vault_;
};

}  // namespace

VisibilityLabels visibility_labels(const json& doc) {
  VisibilityLabels out;
  const json& labels = member(doc, "securityLabel");
  if (!labels.is_array()) return out;
  for (const auto& label : labels) {
    const json& codings = member(label, "coding");
    if (!codings.is_array()) continue;
    for (const auto& c : codings) {
      std::string system = text(c, "system"), code = text(c, "code");
      if (system != kVisibilitySystem && system != kVisibilitySystemOid) continue;
      for (char& ch : code) ch = char(std::toupper(static_cast<unsigned char>(ch)));  // case-insensitive code system
      if (code == "INVISIBLE_PATIENT") out.withheld_from_patient = true;
      if (code == "INVISIBLE_REPRESENTANTS_LEGAUX") out.hidden_from_representatives = true;
      if (code == "MASQUE_PS") out.hidden_from_professionals = true;
    }
  }
  return out;
}

void register_document_hooks(access::HookRegistry& hooks, Vault& vault) {
  hooks.add("Binary", std::make_shared<BinaryHooks>(vault));
  hooks.add("DocumentReference", std::make_shared<DocumentReferenceHooks>(vault));
}

}  // namespace carnet::documents
