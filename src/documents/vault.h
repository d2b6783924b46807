// The vault's record of document bytes: which blob holds the content of which Binary
// version, under which key (sealed with the space key: destroying the space key makes the
// document unreadable, like the rest of the space), with its size, SHA-1 and type. Rows are
// written in the same transaction as the Binary version, so a document becomes visible with
// its record or not at all; blobs no row names are orphans, removed after a grace period.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/keyring.h"
#include "documents/spool.h"
#include "store/blobs.h"
#include "store/store.h"

namespace carnet::documents {

struct BinaryContent {
  std::string blob_id;
  uint64_t size = 0;
  std::string sha1;  // raw
  std::string content_type;
  crypto::SecretKey key;
};

class Vault {
 public:
  Vault(store::BlobStore& blobs, const crypto::KeyRing& ring, const Clock& clock, uint64_t max_document_bytes);

  store::BlobStore& blobs() const { return blobs_; }
  uint64_t max_document_bytes() const { return max_document_bytes_; }

  // Names `blob` as the content of Binary/<binary_id> version `version` in `space`. Call in
  // the transaction that stores that version.
  Status attach(store::Transaction& tx, std::string_view space, std::string_view binary_id, int64_t version,
                const SpooledBlob& blob, std::string_view content_type) const;
  // The content of one Binary version; kNotFound when it has none.
  Result<BinaryContent> content(store::Transaction& tx, std::string_view space, std::string_view binary_id,
                                int64_t version) const;
  Result<std::unique_ptr<BlobPlainReader>> open(const BinaryContent& c) const;

  // Removes blobs written more than `grace` ago that no record names (uploads that failed,
  // or whose process died before their transaction committed), and those of erased spaces
  // (key shredded). Returns how many.
  Result<int64_t> collect_orphans(store::Store& store, std::chrono::seconds grace) const;

 private:
  store::BlobStore& blobs_;
  const crypto::KeyRing& ring_;
  const Clock& clock_;
  uint64_t max_document_bytes_;
};

}  // namespace carnet::documents
