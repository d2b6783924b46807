// Documents in the FHIR API (internal to the api layer): request bodies streamed into the
// vault, Binary.data and Attachment.data turned into stored blobs, DocumentReference
// attachments completed from their Binary (url, size, SHA-1, type), replacements, and
// downloads streamed back out (ITI-68, or a Binary as JSON).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "api/fhir_common.h"
#include "api/http_types.h"
#include "documents/json_spool.h"
#include "documents/spool.h"
#include "documents/vault.h"

namespace carnet::api::fhir_rest {

// The body of a FHIR write, received piece by piece: JSON with its documents spooled aside,
// or (POST Binary with the document's own content type) the raw bytes of one document.
class FhirBodySink final : public BodySink {
 public:
  FhirBodySink(documents::Vault& vault, bool json, uint64_t max_json_bytes);
  Status write(std::string_view bytes) override;
  Status finish() override;

  bool is_json() const { return json_ != nullptr; }
  documents::JsonSpool* json() const { return json_.get(); }
  // The raw document, once finished (taken once).
  std::optional<documents::SpooledBlob> take_raw() { return std::exchange(raw_blob_, std::nullopt); }
  ~FhirBodySink() override;

 private:
  documents::Vault& vault_;
  std::unique_ptr<documents::JsonSpool> json_;
  std::unique_ptr<documents::BlobSpool> raw_;
  std::optional<documents::SpooledBlob> raw_blob_;
};

// The factory routes that write resources install: JSON bodies are spooled (documents
// aside, at most `max_json_bytes` of text); POST /fhir/r4/Binary with a document type
// streams the raw bytes; anything else is buffered as usual.
BodySinkFactory fhir_body_sink(documents::Vault& vault, uint64_t max_json_bytes);
// The JSON text of a write's body, wherever it was received.
std::string_view body_text(const Request& req);
FhirBodySink* fhir_sink(const Request& req);

// The documents of one request on their way into the record. Blobs are written before the
// database transaction; rows naming them are written inside it; blobs of a request that
// fails are removed when this object dies.
class DocumentStaging {
 public:
  DocumentStaging(documents::Vault& vault, FhirBodySink* sink) : vault_(vault), sink_(sink) {}
  ~DocumentStaging();
  DocumentStaging(const DocumentStaging&) = delete;
  DocumentStaging& operator=(const DocumentStaging&) = delete;

  // Before the transaction, for resource `key` (an entry index; 0 for a single resource):
  // Binary.data and DocumentReference attachments' data become blobs (their type checked
  // against their bytes); for a DocumentReference, the documents it replaces are checked
  // with the access gate. `where`: the FHIRPath of the resource, for messages.
  Status stage(const Call& call, nlohmann::json& resource, std::string_view type, const std::string& where, size_t key);
  // A raw upload (POST Binary with the document's own type) as resource `key`.
  Status stage_raw(documents::SpooledBlob blob, std::string_view content_type, size_t key);

  // In the transaction, before the resource is stored: creates the Binary of each inline
  // attachment (ITI-105) and completes the DocumentReference's attachments from their Binary.
  Status before_write(store::Transaction& tx, fhir::ResourceStore& resources, const Call& call, const Target& target,
                      nlohmann::json& resource, std::string_view resource_id, size_t key);
  // In the transaction, after: names the Binary's blob; supersedes replaced documents.
  Status after_write(store::Transaction& tx, fhir::ResourceStore& resources, const Call& call, const Target& target,
                     const fhir::ResourceVersion& v, size_t key);
  // The transaction committed: the blobs belong to the record now (all, or resource `key`'s).
  void committed() { staged_.clear(); }
  void committed(size_t key) { staged_.erase(key); }

 private:
  struct Staged {
    documents::SpooledBlob blob;
    std::string content_type;
    std::optional<size_t> content_index;  // an attachment of a DocumentReference; none: a Binary
  };
  Result<Staged> stage_data(const nlohmann::json& data, std::string_view content_type, const std::string& where);
  // The blob's bytes agree with the declared type; its canonical type. Removes it otherwise.
  Result<Staged> checked(documents::SpooledBlob blob, std::string_view content_type, const std::string& where);

  documents::Vault& vault_;
  FhirBodySink* sink_;
  std::multimap<size_t, Staged> staged_;
};

// kTooLarge when the body spooled a large "data" value that no document took (inline data
// elsewhere than Binary.data or a DocumentReference attachment).
Status all_documents_taken(const Request& req);

// GET Binary/<id> (or one version): the document's bytes with their own type (ITI-68), or
// as a FHIR Binary with base64 data when JSON is asked for. Streamed, never whole in memory.
Response binary_download(documents::Vault& vault, store::Store& store, fhir::ResourceStore& resources,
                         const Target& target, const Request& req, std::optional<int64_t> version);

}  // namespace carnet::api::fhir_rest
