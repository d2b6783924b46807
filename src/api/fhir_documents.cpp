#include "api/fhir_documents.h"

#include "api/account_routes.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/random.h"
#include "documents/content_type.h"
#include "fhir/search_index.h"

namespace carnet::api::fhir_rest {
namespace {

using json = nlohmann::json;

// The document's bytes to the HTTP layer, piece by piece.
class PlainSource final : public BodySource {
 public:
  explicit PlainSource(std::unique_ptr<documents::BlobPlainReader> r) : r_(std::move(r)) {}
  Result<size_t> read(char* buf, size_t cap) override { return r_->read(buf, cap); }

 private:
  std::unique_ptr<documents::BlobPlainReader> r_;
};

// A Binary as FHIR JSON: the resource's text, then its data base64-encoded as it is read.
class JsonBinarySource final : public BodySource {
 public:
  JsonBinarySource(std::string prefix, std::unique_ptr<documents::BlobPlainReader> r)
      : out_(std::move(prefix)), r_(std::move(r)) {}
  Result<size_t> read(char* buf, size_t cap) override {
    while (offset_ == out_.size()) {
      if (done_) return size_t(0);
      out_.clear();
      offset_ = 0;
      auto n = r_->read(plain_, sizeof plain_);
      if (!n.is_ok()) return n.status();
      if (*n == 0) {
        enc_.finish(out_);
        out_ += "\"}";
        done_ = true;
      } else {
        enc_.feed(std::string_view(plain_, *n), out_);
      }
    }
    size_t take = std::min(cap, out_.size() - offset_);
    std::memcpy(buf, out_.data() + offset_, take);
    offset_ += take;
    return take;
  }

 private:
  std::string out_;
  size_t offset_ = 0;
  bool done_ = false;
  std::unique_ptr<documents::BlobPlainReader> r_;
  Base64Encoder enc_;
  char plain_[48 * 1024];
};

// Content-Disposition with a safe ASCII fallback and the UTF-8 name (RFC 6266 / 5987).
std::string disposition(std::string_view name) {
  std::string clean = documents::sanitize_file_name(name);
  std::string ascii;
  for (unsigned char c : clean) {
    if (c >= 0x80) {
      if ((c & 0xC0) != 0x80) ascii += '_';  // one per character, not per byte
    } else {
      ascii += (c >= 0x20 && c != '"' && c != '\\' && c != ';' && c != '%' && c != 0x7F) ? char(c) : '_';
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + query_escape(clean);
}

std::string_view extension_for(std::string_view content_type) {
  auto f = documents::format_of_mime(content_type);
  if (!f) return "";
  switch (*f) {
    case documents::Format::kPdf: return ".pdf";
    case documents::Format::kJpeg: return ".jpg";
    case documents::Format::kPng: return ".png";
    case documents::Format::kTiff: return ".tif";
    case documents::Format::kText: return ".txt";
    case documents::Format::kRtf: return ".rtf";
    case documents::Format::kCda: return ".xml";
  }
  return "";
}

// Did the client ask for the FHIR JSON form (rather than the document itself)?
bool asks_for_fhir_json(const Request& req) {
  auto form = decode_form(req.query);
  if (form.is_ok()) {
    for (const auto& [name, value] : *form) {
      if (name == "_format") return value == "json" || value.find("json") != std::string::npos;
    }
  }
  std::string_view accept = req.header("accept");
  return accept.find("application/fhir+json") != std::string_view::npos ||
         accept.find("application/json") != std::string_view::npos;
}

}  // namespace

FhirBodySink::FhirBodySink(documents::Vault& vault, bool json, uint64_t max_json_bytes) : vault_(vault) {
  if (json) {
    documents::JsonSpoolLimits limits;
    limits.max_json_bytes = max_json_bytes;
    limits.max_document_bytes = vault.max_document_bytes();
    json_ = std::make_unique<documents::JsonSpool>(vault.blobs(), limits);
  }
}

FhirBodySink::~FhirBodySink() {
  if (raw_blob_) (void)vault_.blobs().remove(raw_blob_->blob_id);
}

Status FhirBodySink::write(std::string_view bytes) {
  if (json_) return json_->write(bytes);
  if (!raw_) {
    auto s = documents::BlobSpool::open(vault_.blobs(), vault_.max_document_bytes());
    if (!s.is_ok()) return s.status();
    raw_ = std::move(*s);
  }
  return raw_->write(bytes);
}

Status FhirBodySink::finish() {
  if (json_) return json_->finish();
  if (!raw_) return Status::invalid("le document est vide (0 octet)");
  auto b = raw_->finish();
  raw_.reset();
  if (!b.is_ok()) return b.status();
  raw_blob_ = std::move(*b);
  return Status::ok();
}

BodySinkFactory fhir_body_sink(documents::Vault& vault, uint64_t max_json_bytes) {
  return [&vault, max_json_bytes](const Request& req) -> Result<std::shared_ptr<BodySink>> {
    // Nobody anonymous gets to stream documents into the vault: without credentials the
    // request is refused before its body is read (the handler checks them fully).
    if (req.header("authorization").empty() &&
        req.header("cookie").find(std::string(kSessionCookie) + "=") == std::string_view::npos) {
      return Status::unauthenticated("sign in first: no credentials (Authorization header or session cookie)");
    }
    std::string_view type = req.header("content-type");
    if (json_body(req)) return std::shared_ptr<BodySink>(std::make_shared<FhirBodySink>(vault, true, max_json_bytes));
    if (req.method == "POST" && (req.path == "/fhir/r4/Binary" || req.path == "/fhir/r4/Binary/")) {
      if (!documents::format_of_mime(type)) {
        return Status::invalid("le type de document '" + std::string(type.substr(0, 80)) +
                               "' n'est pas accepté ; types acceptés : " + documents::accepted_types());
      }
      return std::shared_ptr<BodySink>(std::make_shared<FhirBodySink>(vault, false, 0));
    }
    return std::shared_ptr<BodySink>();  // buffered as usual (and refused by the handler)
  };
}

FhirBodySink* fhir_sink(const Request& req) { return dynamic_cast<FhirBodySink*>(req.sink.get()); }

std::string_view body_text(const Request& req) {
  if (auto* s = fhir_sink(req); s && s->is_json()) return s->json()->text();
  return req.body;
}

DocumentStaging::~DocumentStaging() {
  for (const auto& [key, s] : staged_) (void)vault_.blobs().remove(s.blob.blob_id);
}

Result<DocumentStaging::Staged> DocumentStaging::stage_data(const json& data, std::string_view content_type,
                                                           const std::string& where) {
  if (!data.is_string()) return Status::invalid(where + ".data must be a base64 string");
  const std::string& text = data.get_ref<const std::string&>();
  std::optional<documents::SpooledBlob> blob;
  if (sink_ && sink_->json()) blob = sink_->json()->take(text);
  if (!blob) {
    auto bytes = base64_decode(text);
    if (!bytes) return Status::invalid(where + ".data is not valid base64");
    auto b = documents::spool_bytes(vault_.blobs(), *bytes, vault_.max_document_bytes());
    if (!b.is_ok()) return b.status().with_context(where);
    blob = std::move(*b);
  }
  return checked(std::move(*blob), content_type, where);
}

Result<DocumentStaging::Staged> DocumentStaging::checked(documents::SpooledBlob blob, std::string_view content_type,
                                                        const std::string& where) {
  auto fmt = documents::format_of_mime(content_type);
  Status ok = fmt ? documents::check_content(*fmt, blob.head, blob.text, blob.size).with_context(where)
                  : Status::invalid(where + ".contentType '" + std::string(content_type.substr(0, 80)) +
                                    "' n'est pas accepté ; types acceptés : " + documents::accepted_types());
  if (!ok.is_ok()) {
    (void)vault_.blobs().remove(blob.blob_id);
    return ok;
  }
  std::string canonical(documents::mime_type(*fmt));
  if (*fmt == documents::Format::kText || *fmt == documents::Format::kCda) canonical += "; charset=utf-8";
  return Staged{std::move(blob), std::move(canonical), std::nullopt};
}

Status DocumentStaging::stage_raw(documents::SpooledBlob blob, std::string_view content_type, size_t key) {
  auto s = checked(std::move(blob), content_type, "Binary");
  if (!s.is_ok()) return s.status();
  staged_.emplace(key, std::move(*s));
  return Status::ok();
}

Status all_documents_taken(const Request& req) {
  FhirBodySink* sink = fhir_sink(req);
  if (sink && sink->is_json() && sink->json()->untaken() > 0) {
    return Status::too_large(
        "inline data larger than 64 KiB is accepted only for documents (Binary.data, DocumentReference attachments) "
        "of resources being created or updated");
  }
  return Status::ok();
}

Status DocumentStaging::stage(const Call& call, json& resource, std::string_view type, const std::string& where,
                              size_t key) {
  if (type == "Binary") {
    auto data = resource.find("data");
    if (data == resource.end()) return Status::invalid(where + ".data: a Binary must carry the document (data)");
    auto s = stage_data(*data, resource.value("contentType", ""), where);
    if (!s.is_ok()) return s.status();
    staged_.emplace(key, std::move(*s));
    resource.erase("data");
    return Status::ok();
  }
  if (type != "DocumentReference") return Status::ok();
  auto content = resource.find("content");
  if (content != resource.end() && content->is_array()) {
    for (size_t i = 0; i < content->size(); ++i) {
      json& a = (*content)[i]["attachment"];
      if (!a.is_object() || !a.contains("data")) continue;
      std::string at = where + ".content[" + std::to_string(i) + "].attachment";
      if (a.contains("url")) return Status::invalid(at + ": give the document either inline (data) or by url, not both");
      if (!a.contains("contentType")) return Status::invalid(at + ".contentType is required with data");
      auto s = stage_data(a["data"], a.value("contentType", ""), at);
      if (!s.is_ok()) return s.status();
      s->content_index = i;
      staged_.emplace(key, std::move(*s));
      a.erase("data");
    }
  }
  // Replacing a document changes it (it becomes superseded): the caller must be allowed to.
  for (const auto& r : resource.value("relatesTo", json::array())) {
    if (!r.is_object() || r.value("code", "") != "replaces") continue;
    std::string ref = fhir::normalize_reference(r.value("target", json::object()).value("reference", ""));
    if (ref.rfind("DocumentReference/", 0) != 0) {
      return Status::invalid(where + ".relatesTo.target must reference the DocumentReference replaced");
    }
    auto t = authorize(call, "DocumentReference", access::Action::kUpdate, ref.substr(18));
    if (!t.is_ok()) return t.status().with_context("replacing " + ref);
  }
  return Status::ok();
}

Status DocumentStaging::before_write(store::Transaction& tx, fhir::ResourceStore& resources, const Call& call,
                                     const Target& target, json& resource, std::string_view resource_id, size_t key) {
  if (target.type->name != "DocumentReference") return Status::ok();
  json& content = resource["content"];
  // Inline documents (ITI-105) become Binaries of their own first.
  auto range = staged_.equal_range(key);
  for (auto it = range.first; it != range.second; ++it) {
    const Staged& s = it->second;
    if (!s.content_index) continue;
    json binary = {{"resourceType", "Binary"}, {"contentType", s.content_type},
                   {"securityContext", {{"reference", "DocumentReference/" + std::string(resource_id)}}}};
    auto bv = resources.create(tx, target.compartment, "Binary", binary.dump());
    if (!bv.is_ok()) return bv.status();
    CARNET_RETURN_IF_ERROR(vault_.attach(tx, target.compartment, bv->id, bv->version, s.blob, s.content_type));
    Target binary_target{fhir::find_resource_type("Binary"), target.compartment, {}};
    CARNET_RETURN_IF_ERROR(record_author(tx, call, binary_target, *bv));
    content[*s.content_index]["attachment"]["url"] = "Binary/" + bv->id;
  }
  // Every attachment names a Binary of this record; its size, hash and type are the bytes'.
  if (!content.is_array() || content.empty()) return Status::invalid("DocumentReference.content: the document is missing");
  for (size_t i = 0; i < content.size(); ++i) {
    json& a = content[i]["attachment"];
    std::string at = "DocumentReference.content[" + std::to_string(i) + "].attachment";
    std::string url = a.value("url", "");
    if (url.empty()) return Status::invalid(at + ": the document is missing (give data, or url naming a Binary)");
    std::string ref = fhir::normalize_reference(url);
    if (ref.rfind("Binary/", 0) != 0) return Status::invalid(at + ".url must name a Binary of this record (Binary/<id>)");
    std::string id = ref.substr(7);
    auto bv = resources.read(tx, target.compartment, "Binary", id);
    if (!bv.is_ok()) {
      if (bv.status().code() == ErrorCode::kNotFound || bv.status().code() == ErrorCode::kGone) {
        return Status::invalid(at + ".url: " + ref + " is not in this person's record");
      }
      return bv.status();
    }
    auto c = vault_.content(tx, target.compartment, id, bv->version);
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
      auto declared = documents::format_of_mime(a.value("contentType", ""));
      if (declared != documents::format_of_mime(c->content_type)) {
        return Status::invalid(at + ".contentType '" + a.value("contentType", "") + "' is not the type of " + ref + " (" +
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

Status DocumentStaging::after_write(store::Transaction& tx, fhir::ResourceStore& resources, const Call& call,
                                    const Target& target, const fhir::ResourceVersion& v, size_t key) {
  if (v.type == "Binary") {
    auto range = staged_.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second.content_index) continue;
      return vault_.attach(tx, target.compartment, v.id, v.version, it->second.blob, it->second.content_type);
    }
    return Status::invalid("Binary.data: a Binary must carry the document (data)");
  }
  if (v.type != "DocumentReference") return Status::ok();
  json doc = json::parse(v.json);
  // Published inline (ITI-105 simplified publish): the server makes its submission set.
  bool inline_published = false;
  auto range = staged_.equal_range(key);
  for (auto it = range.first; it != range.second; ++it) inline_published = inline_published || it->second.content_index;
  if (inline_published) {
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
    for (const auto& a : doc.value("author", json::array())) {
      if (a.is_object() && a.contains("reference")) {
        list["source"] = a;
        break;
      }
    }
    auto lv = resources.create(tx, target.compartment, "List", list.dump());
    if (!lv.is_ok()) return lv.status();
    Target list_target{fhir::find_resource_type("List"), target.compartment, {}};
    CARNET_RETURN_IF_ERROR(record_author(tx, call, list_target, *lv));
  }
  for (const auto& r : doc.value("relatesTo", json::array())) {
    if (!r.is_object() || r.value("code", "") != "replaces") continue;
    std::string ref = fhir::normalize_reference(r.value("target", json::object()).value("reference", ""));
    std::string old_id = ref.substr(std::string_view("DocumentReference/").size());
    if (old_id == v.id) return Status::invalid("a document cannot replace itself");
    auto old = resources.read(tx, target.compartment, "DocumentReference", old_id);
    if (!old.is_ok()) return old.status().with_context("replacing " + ref);
    json o = json::parse(old->json);
    if (o.value("status", "") == "superseded") return Status::conflict(ref + " was already replaced");
    o["status"] = "superseded";
    auto nv = resources.update(tx, target.compartment, "DocumentReference", old_id, o.dump(), old->version);
    if (!nv.is_ok()) return nv.status();
    CARNET_RETURN_IF_ERROR(record_author(tx, call, target, *nv));
  }
  return Status::ok();
}

Response binary_download(documents::Vault& vault, store::Store& store, fhir::ResourceStore& resources,
                         const Target& target, const Request& req, std::optional<int64_t> version) {
  std::string id(req.param("id"));
  fhir::ResourceVersion v;
  documents::BinaryContent content;
  std::string title;
  Status s = store.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto r = version ? resources.vread(tx, target.compartment, "Binary", id, *version)
                     : resources.read(tx, target.compartment, "Binary", id);
    if (!r.is_ok()) return r.status();
    if (r->deleted) return Status::gone("version " + std::to_string(*version) + " is a deletion");
    v = std::move(*r);
    auto c = vault.content(tx, target.compartment, id, v.version);
    if (!c.is_ok()) return c.status();
    content = std::move(*c);
    // The file name is the title its DocumentReference gives.
    json b = json::parse(v.json);
    std::string doc_ref = fhir::normalize_reference(b.value("securityContext", json::object()).value("reference", ""));
    if (doc_ref.rfind("DocumentReference/", 0) == 0) {
      auto d = resources.read(tx, target.compartment, "DocumentReference", doc_ref.substr(18));
      if (d.is_ok()) {
        for (const auto& c2 : json::parse(d->json).value("content", json::array())) {
          const json& a = c2.value("attachment", json::object());
          if (fhir::normalize_reference(a.value("url", "")) == "Binary/" + id) title = a.value("title", "");
        }
      }
    }
    return Status::ok();
  });
  if (!s.is_ok()) return outcome(s, req.request_id);
  auto reader = vault.open(content);
  if (!reader.is_ok()) return outcome(reader.status(), req.request_id);
  Response r;
  r.status = 200;
  r.set_header("ETag", "W/\"" + std::to_string(v.version) + "\"");
  r.set_header("Last-Modified", v.last_updated);
  if (asks_for_fhir_json(req)) {
    std::string prefix = v.json;
    prefix.pop_back();  // the closing brace: data follows
    prefix += ",\"data\":\"";
    r.source_length = prefix.size() + Base64Encoder::encoded_size(content.size) + 2;
    r.source = std::make_shared<JsonBinarySource>(std::move(prefix), std::move(*reader));
    r.set_header("Content-Type", kFhirJson);
    return r;
  }
  if (title.empty()) title = "document";
  std::string ext(extension_for(content.content_type));
  if (!ext.empty() && (title.size() < ext.size() || title.compare(title.size() - ext.size(), ext.size(), ext) != 0)) {
    title += ext;
  }
  r.source_length = content.size;
  r.source = std::make_shared<PlainSource>(std::move(*reader));
  r.set_header("Content-Type", content.content_type);
  r.set_header("Content-Disposition", disposition(title));
  // Whatever the bytes are, a browser runs nothing from them.
  r.set_header("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:");
  r.set_header("Cache-Control", "private, no-store");
  return r;
}

}  // namespace carnet::api::fhir_rest
