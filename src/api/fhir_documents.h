// Documents in the FHIR API (internal to the api layer): request bodies streamed into the
// vault as they arrive (JSON with its documents spooled aside, or the raw bytes of one
// document), and downloads streamed back out (ITI-68, or a Binary as JSON). The rules of
// documents are documents/ hooks (documents/document_hooks.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "api/http_types.h"
#include "documents/binary_read.h"
#include "documents/json_spool.h"
#include "documents/spool.h"
#include "documents/vault.h"

namespace carnet::api::fhir_rest {

// The body of a FHIR write, received piece by piece: JSON with its documents spooled aside,
// or (POST Binary with the document's own content type) the raw bytes of one document.
class FhirBodySink final : public BodySink {
 public:
  FhirBodySink(documents::Vault& vault, bool json, uint64_t max_json_bytes);
  bool may_block(size_t bytes) const override;
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
// The spool of a JSON body received piece by piece, or null.
documents::JsonSpool* json_spool(const Request& req);

// kTooLarge when the body spooled a large "data" value that no document took (inline data
// elsewhere than Binary.data or a DocumentReference attachment).
Status all_documents_taken(const Request& req);

// A document's bytes with their own type (ITI-68), or as a FHIR Binary with base64 data when
// JSON is asked for. Streamed, never whole in memory.
Response binary_response(const documents::Vault& vault, const documents::BinaryDocument& doc, const Request& req);

}  // namespace carnet::api::fhir_rest
