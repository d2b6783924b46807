// The documents of one request on their way into the record. A request's document bytes
// (Binary.data, a DocumentReference attachment's data, or a raw upload) are written as blobs
// before its database transaction, their type checked against their bytes; the document
// hooks (document_hooks.h) name them in the transaction. Blobs of a request that fails are
// removed when this object dies.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "access/hooks.h"
#include "documents/json_spool.h"
#include "documents/spool.h"
#include "documents/vault.h"

namespace carnet::documents {

class DocumentStaging final : public access::WriteAttachments {
 public:
  // `spool`: the request body's spool, whose markers stand for data spooled as it arrived
  // (null: the data is in the JSON itself).
  DocumentStaging(Vault& vault, JsonSpool* spool) : vault_(vault), spool_(spool) {}
  ~DocumentStaging() override;
  DocumentStaging(const DocumentStaging&) = delete;
  DocumentStaging& operator=(const DocumentStaging&) = delete;

  // For resource `key` (an entry index; 0 for a single resource): Binary.data and
  // DocumentReference attachments' data become blobs, and are removed from the resource.
  // Elements of the wrong JSON type are left for R4 validation to refuse. `where`: the
  // FHIRPath of the resource, for messages.
  Status stage(nlohmann::json& resource, std::string_view type, const std::string& where, size_t key);
  // A raw upload (POST Binary with the document's own type) as resource `key`.
  Status stage_raw(SpooledBlob blob, std::string_view content_type, size_t key);

  struct Staged {
    SpooledBlob blob;
    std::string content_type;             // canonical
    std::optional<size_t> content_index;  // an attachment of a DocumentReference; none: a Binary
  };
  // The documents staged for resource `key`, in order.
  std::vector<const Staged*> of(size_t key) const;

  // The transaction committed: the blobs belong to the record now (all, or resource `key`'s).
  void committed() { staged_.clear(); }
  void committed(size_t key) { staged_.erase(key); }

  Vault& vault() const { return vault_; }

 private:
  Result<Staged> stage_data(const nlohmann::json& data, std::string_view content_type, const std::string& where);
  // The blob's bytes agree with the declared type; its canonical type. Removes it otherwise.
  Result<Staged> checked(SpooledBlob blob, std::string_view content_type, const std::string& where);

  Vault& vault_;
  JsonSpool* spool_;
  std::multimap<size_t, Staged> staged_;
};

}  // namespace carnet::documents
