#include "api/fhir_documents.h"

#include "api/authentication.h"
#include "api/fhir_common.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "documents/content_type.h"

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

bool FhirBodySink::may_block(size_t bytes) const { return !json_ || json_->may_spool(bytes); }

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

documents::JsonSpool* json_spool(const Request& req) {
  FhirBodySink* sink = fhir_sink(req);
  return sink ? sink->json() : nullptr;
}

std::string_view body_text(const Request& req) {
  if (auto* s = fhir_sink(req); s && s->is_json()) return s->json()->text();
  return req.body;
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

Response binary_response(const documents::Vault& vault, const documents::BinaryDocument& doc, const Request& req) {
  const fhir::ResourceVersion& v = doc.version;
  const documents::BinaryContent& content = doc.content;
  std::string title = doc.title;
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
