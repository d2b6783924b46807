// Where document bytes live: large opaque objects kept outside the database rows, named by
// a random id. This layer moves bytes only; they arrive here already encrypted, and become
// part of a person's record only when a database row names them (written in the same
// transaction as the document). A blob nobody names is an orphan that collect() removes.
//
// Backends: files in a directory (the embedded default, or a shared filesystem for several
// instances), or the database itself (open_database_blob_store).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace carnet::store {

class Store;

// Blob ids: 2-64 lower-case hex digits.
bool valid_blob_id(std::string_view id);

class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // a writer destroyed before commit() leaves nothing
  virtual Status append(std::string_view bytes) = 0;
  // Makes the blob durable and readable under its id: after commit() returns OK, a crash
  // does not lose it.
  virtual Status commit() = 0;
};

class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Up to `cap` bytes; 0 at the end.
  virtual Result<size_t> read(char* buf, size_t cap) = 0;
  virtual uint64_t size() const = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // kConflict if a blob with this id exists. Ids: 2-64 lower-case hex digits.
  virtual Result<std::unique_ptr<BlobWriter>> create(std::string_view id) = 0;
  // kNotFound when there is no such committed blob.
  virtual Result<std::unique_ptr<BlobReader>> open(std::string_view id) const = 0;
  // Removing a missing blob succeeds.
  virtual Status remove(std::string_view id) = 0;
  // Removes what was written before `before` and is either unfinished (a writer that never
  // committed: its process died) or a committed blob that `referenced` says nobody names.
  // Returns how many blobs were removed.
  virtual Result<int64_t> collect(std::chrono::system_clock::time_point before,
                                  const std::function<Result<bool>(std::string_view id)>& referenced) = 0;
};

// Files under `dir`: <dir>/<2 hex>/<id> once committed (the two characters fan the blobs
// out over 256 directories), <id>.part while being written. Commit = rename, then wait for a
// syncfs() of the filesystem that started after it (shared by concurrent commits).
Result<std::unique_ptr<BlobStore>> open_file_blob_store(const std::string& dir);

// In the database (tables blob_objects and blob_chunks), through `store`, which must outlive
// it: chunks of 1 MiB, each written in a transaction of its own; commit() writes the last one
// and makes the blob visible in one transaction, as durable as any commit of the store.
Result<std::unique_ptr<BlobStore>> open_database_blob_store(Store& store);

// The backend a --document-storage setting names: "files" (in `dir`) or "database".
Result<std::unique_ptr<BlobStore>> open_blob_store(std::string_view storage, const std::string& dir, Store& store);

}  // namespace carnet::store
