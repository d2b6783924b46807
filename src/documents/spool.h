// Document bytes on their way into the vault and back out. A BlobSpool takes the plain
// bytes of one document as they arrive, hashes them, checks what they are, encrypts them in
// chunks under a key of their own and writes them to the blob store; nothing is held whole
// in memory. The blob's key is later sealed with the space key (vault.h), so destroying the
// space key makes the bytes unreadable too. A BlobPlainReader decrypts a stored blob piece
// by piece.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/secret.h"
#include "documents/content_type.h"
#include "store/blobs.h"

namespace carnet::documents {

// A document written, durable, and not yet named by any record.
struct SpooledBlob {
  std::string blob_id;
  crypto::SecretKey key;
  uint64_t size = 0;
  std::string sha1;  // raw digest of the plain bytes
  std::string head;  // the first kSniffBytes plain bytes (type detection)
  bool text = false;  // the whole document is UTF-8 text
};

class BlobSpool {
 public:
  // `max_bytes`: the document size limit; more is kTooLarge.
  static Result<std::unique_ptr<BlobSpool>> open(store::BlobStore& blobs, uint64_t max_bytes);
  ~BlobSpool();

  Status write(std::string_view plain);
  // Encrypts the rest, makes the blob durable. The spool is spent afterwards.
  Result<SpooledBlob> finish();
  uint64_t size() const { return size_; }

 private:
  BlobSpool() = default;
  Status flush_chunk(bool last);
  struct State;
  std::unique_ptr<State> state_;
  uint64_t size_ = 0;
  uint64_t max_ = 0;
};

// Writes a whole small document (already in memory) through a spool.
Result<SpooledBlob> spool_bytes(store::BlobStore& blobs, std::string_view plain, uint64_t max_bytes);

// The plain bytes of a stored blob; `size` is the plain size the record gives. A blob that
// fails authentication, or whose length differs, is a read error (kCorrupt), never data.
class BlobPlainReader {
 public:
  static Result<std::unique_ptr<BlobPlainReader>> open(const store::BlobStore& blobs, std::string_view blob_id,
                                                       const crypto::SecretKey& key, uint64_t size);
  ~BlobPlainReader();
  Result<size_t> read(char* buf, size_t cap);
  uint64_t size() const { return size_; }

 private:
  BlobPlainReader() = default;
  struct State;
  std::unique_ptr<State> state_;
  uint64_t size_ = 0;
};

}  // namespace carnet::documents
