#include "documents/staging.h"

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "documents/content_type.h"

namespace carnet::documents {

using json = nlohmann::json;

DocumentStaging::~DocumentStaging() {
  for (const auto& [key, s] : staged_) (void)vault_.blobs().remove(s.blob.blob_id);
}

std::vector<const DocumentStaging::Staged*> DocumentStaging::of(size_t key) const {
  std::vector<const Staged*> out;
  auto range = staged_.equal_range(key);
  for (auto it = range.first; it != range.second; ++it) out.push_back(&it->second);
  return out;
}

Result<DocumentStaging::Staged> DocumentStaging::stage_data(const json& data, std::string_view content_type,
                                                           const std::string& where) {
  if (!data.is_string()) return Status::invalid(where + ".data must be a base64 string");
  const std::string& text = data.get_ref<const std::string&>();
  std::optional<SpooledBlob> blob;
  if (spool_) blob = spool_->take(text);
  if (!blob) {
    auto bytes = base64_decode(text);
    if (!bytes) return Status::invalid(where + ".data is not valid base64");
    auto b = spool_bytes(vault_.blobs(), *bytes, vault_.max_document_bytes());
    if (!b.is_ok()) return b.status().with_context(where);
    blob = std::move(*b);
  }
  return checked(std::move(*blob), content_type, where);
}

Result<DocumentStaging::Staged> DocumentStaging::checked(SpooledBlob blob, std::string_view content_type,
                                                        const std::string& where) {
  auto fmt = format_of_mime(content_type);
  Status ok = fmt ? check_content(*fmt, blob.head, blob.text, blob.size).with_context(where)
                  : Status::invalid(where + ".contentType '" + std::string(content_type.substr(0, 80)) +
                                    "' n'est pas accepté ; types acceptés : " + accepted_types());
  if (!ok.is_ok()) {
    (void)vault_.blobs().remove(blob.blob_id);
    return ok;
  }
  std::string canonical(mime_type(*fmt));
  if (*fmt == Format::kText || *fmt == Format::kCda) canonical += "; charset=utf-8";
  return Staged{std::move(blob), std::move(canonical), std::nullopt};
}

Status DocumentStaging::stage_raw(SpooledBlob blob, std::string_view content_type, size_t key) {
  auto s = checked(std::move(blob), content_type, "Binary");
  if (!s.is_ok()) return s.status();
  staged_.emplace(key, std::move(*s));
  return Status::ok();
}

namespace {

std::string string_member(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Status DocumentStaging::stage(json& resource, std::string_view type, const std::string& where, size_t key) {
  if (!resource.is_object()) return Status::ok();
  if (type == "Binary") {
    auto data = resource.find("data");
    if (data == resource.end()) return Status::invalid(where + ".data: a Binary must carry the document (data)");
    auto s = stage_data(*data, string_member(resource, "contentType"), where);
    if (!s.is_ok()) return s.status();
    staged_.emplace(key, std::move(*s));
    resource.erase("data");
    return Status::ok();
  }
  if (type != "DocumentReference") return Status::ok();
  auto content = resource.find("content");
  if (content == resource.end() || !content->is_array()) return Status::ok();
  for (size_t i = 0; i < content->size(); ++i) {
    json& item = (*content)[i];
    if (!item.is_object()) continue;
    auto a = item.find("attachment");
    if (a == item.end() || !a->is_object() || !a->contains("data")) continue;
    std::string at = where + ".content[" + std::to_string(i) + "].attachment";
    if (a->contains("url")) return Status::invalid(at + ": give the document either inline (data) or by url, not both");
    if (!a->contains("contentType")) return Status::invalid(at + ".contentType is required with data");
    auto s = stage_data((*a)["data"], string_member(*a, "contentType"), at);
    if (!s.is_ok()) return s.status();
    s->content_index = i;
    staged_.emplace(key, std::move(*s));
    a->erase("data");
  }
  return Status::ok();
}

}  // namespace carnet::documents
