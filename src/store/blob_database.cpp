// The database backend of BlobStore (see blobs.h): document bytes in the same database as
// the records that name them, so several instances need no shared filesystem and one backup
// holds everything. Portable SQL through the Store interface: runs on SQLite and PostgreSQL.
//
// A blob is a head row (blob_objects: size, committed flag, creation time) and its bytes cut
// into chunks of up to kChunk bytes (blob_chunks). A writer buffers one chunk; each full
// chunk is written in a transaction of its own (the upload's connection is never held while
// the client sends), the head row with the first one (uncommitted). commit() writes the last
// chunk and marks the head committed in one transaction: from then on readers see the blob.
// A writer that never commits leaves an uncommitted head that collect() removes with its
// chunks.
#include <algorithm>
#include <cstring>

#include "store/blobs.h"
#include "store/store.h"

namespace carnet::store {
namespace {

constexpr size_t kChunk = 1 << 20;

int64_t unix_millis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Status delete_blob(Transaction& tx, std::string_view id) {
  CARNET_RETURN_IF_ERROR(tx.exec("DELETE FROM blob_chunks WHERE id = ?", {std::string(id)}).status());
  return tx.exec("DELETE FROM blob_objects WHERE id = ?", {std::string(id)}).status();
}

class DatabaseWriter final : public BlobWriter {
 public:
  DatabaseWriter(Store& store, std::string id) : store_(store), id_(std::move(id)) { buffer_.reserve(kChunk); }
  ~DatabaseWriter() override {
    if (started_ && !committed_) {
      // Best effort: what stays behind is an uncommitted head that collect() removes.
      (void)store_.transact(TxMode::kWrite, [&](Transaction& tx) { return delete_blob(tx, id_); });
    }
  }

  Status append(std::string_view bytes) override {
    if (committed_) return Status::internal("blob writer already closed");
    while (!bytes.empty()) {
      size_t take = std::min(bytes.size(), kChunk - buffer_.size());
      buffer_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (buffer_.size() == kChunk) CARNET_RETURN_IF_ERROR(flush(false));
    }
    return Status::ok();
  }

  Status commit() override {
    if (committed_) return Status::internal("blob writer already closed");
    CARNET_RETURN_IF_ERROR(flush(true));
    committed_ = true;
    return Status::ok();
  }

 private:
  // Writes the buffered chunk; `last` also marks the blob committed, in the same transaction.
  Status flush(bool last) {
    int64_t size = size_ + int64_t(buffer_.size());
    Status s = store_.transact(TxMode::kWrite, [&](Transaction& tx) -> Status {
      if (!started_) {
        auto inserted = tx.exec("INSERT INTO blob_objects (id, size, committed, created_at) VALUES (?, 0, 0, ?)",
                                {id_, unix_millis(std::chrono::system_clock::now())});
        if (!inserted.is_ok()) {
          if (inserted.status().code() == ErrorCode::kConflict) return Status::conflict("blob exists");
          return inserted.status();
        }
      }
      if (!buffer_.empty()) {  // an empty blob has no chunk
        CARNET_RETURN_IF_ERROR(tx.exec("INSERT INTO blob_chunks (id, seq, bytes) VALUES (?, ?, ?)",
                                       {id_, seq_, Blob{buffer_}})
                                   .status());
      }
      if (!last) return Status::ok();
      auto marked = tx.exec("UPDATE blob_objects SET size = ?, committed = 1 WHERE id = ? AND committed = 0",
                            {size, id_});
      if (!marked.is_ok()) return marked.status();
      if (*marked != 1) return Status::conflict("blob removed while being written");
      return Status::ok();
    });
    if (!s.is_ok()) return s;
    started_ = true;
    if (!buffer_.empty()) ++seq_;
    size_ = size;
    buffer_.clear();
    return Status::ok();
  }

  Store& store_;
  std::string id_;
  std::string buffer_;
  int64_t seq_ = 0, size_ = 0;
  bool started_ = false, committed_ = false;
};

class DatabaseReader final : public BlobReader {
 public:
  DatabaseReader(Store& store, std::string id, uint64_t size) : store_(store), id_(std::move(id)), size_(size) {}

  Result<size_t> read(char* buf, size_t cap) override {
    if (offset_ == chunk_.size()) {
      if (delivered_ == size_) return size_t(0);
      std::optional<std::string> next;
      CARNET_RETURN_IF_ERROR(store_.transact(TxMode::kReadEach, [&](Transaction& tx) -> Status {
        auto row = tx.query_one("SELECT bytes FROM blob_chunks WHERE id = ? AND seq = ?", {id_, seq_});
        if (!row.is_ok()) return row.status();
        if (*row) next = (*row)->text(0);
        return Status::ok();
      }));
      if (!next || next->empty()) return Status::unavailable("document bytes missing (chunk " + std::to_string(seq_) + ")");
      chunk_ = std::move(*next);
      offset_ = 0;
      ++seq_;
    }
    size_t n = std::min(cap, chunk_.size() - offset_);
    std::memcpy(buf, chunk_.data() + offset_, n);
    offset_ += n;
    delivered_ += n;
    return n;
  }
  uint64_t size() const override { return size_; }

 private:
  Store& store_;
  std::string id_;
  uint64_t size_, delivered_ = 0;
  std::string chunk_;
  size_t offset_ = 0;
  int64_t seq_ = 0;
};

class DatabaseBlobStore final : public BlobStore {
 public:
  explicit DatabaseBlobStore(Store& store) : store_(store) {}

  Result<std::unique_ptr<BlobWriter>> create(std::string_view id) override {
    if (!valid_blob_id(id)) return Status::invalid("invalid blob id");
    bool exists = false;
    CARNET_RETURN_IF_ERROR(store_.transact(TxMode::kReadEach, [&](Transaction& tx) -> Status {
      auto row = tx.query_one("SELECT 1 FROM blob_objects WHERE id = ?", {std::string(id)});
      if (!row.is_ok()) return row.status();
      exists = row->has_value();
      return Status::ok();
    }));
    if (exists) return Status::conflict("blob exists");
    return std::unique_ptr<BlobWriter>(std::make_unique<DatabaseWriter>(store_, std::string(id)));
  }

  Result<std::unique_ptr<BlobReader>> open(std::string_view id) const override {
    if (!valid_blob_id(id)) return Status::not_found("no such blob");
    std::optional<int64_t> size;
    CARNET_RETURN_IF_ERROR(store_.transact(TxMode::kReadEach, [&](Transaction& tx) -> Status {
      auto row = tx.query_one("SELECT size FROM blob_objects WHERE id = ? AND committed = 1", {std::string(id)});
      if (!row.is_ok()) return row.status();
      if (*row) size = (*row)->integer(0);
      return Status::ok();
    }));
    if (!size) return Status::not_found("document bytes missing");
    return std::unique_ptr<BlobReader>(std::make_unique<DatabaseReader>(store_, std::string(id), uint64_t(*size)));
  }

  Status remove(std::string_view id) override {
    if (!valid_blob_id(id)) return Status::ok();
    return store_.transact(TxMode::kWrite, [&](Transaction& tx) { return delete_blob(tx, id); });
  }

  Result<int64_t> collect(std::chrono::system_clock::time_point before,
                          const std::function<Result<bool>(std::string_view id)>& referenced) override {
    struct Candidate {
      std::string id;
      bool committed;
    };
    std::vector<Candidate> old;
    CARNET_RETURN_IF_ERROR(store_.transact(TxMode::kRead, [&](Transaction& tx) -> Status {
      old.clear();
      return tx.query_each("SELECT id, committed FROM blob_objects WHERE created_at < ? ORDER BY id",
                           {unix_millis(before)},
                           [&](const Row& r) {
                             old.push_back({r.text(0), r.integer(1) != 0});
                             return Status::ok();
                           });
    }));
    int64_t removed = 0;
    for (const auto& c : old) {
      if (c.committed) {
        auto named = referenced(c.id);
        if (!named.is_ok()) return named.status();
        if (*named) continue;
      }
      bool deleted = false;
      CARNET_RETURN_IF_ERROR(store_.transact(TxMode::kWrite, [&](Transaction& tx) -> Status {
        // Only as it was seen: a head committed meanwhile is left for the next collection.
        deleted = false;
        auto still = tx.query_one("SELECT committed FROM blob_objects WHERE id = ?", {c.id});
        if (!still.is_ok()) return still.status();
        if (!*still || ((*still)->integer(0) != 0) != c.committed) return Status::ok();
        deleted = true;
        return delete_blob(tx, c.id);
      }));
      removed += deleted;
    }
    return removed;
  }

 private:
  Store& store_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> open_database_blob_store(Store& store) {
  return std::unique_ptr<BlobStore>(std::make_unique<DatabaseBlobStore>(store));
}

Result<std::unique_ptr<BlobStore>> open_blob_store(std::string_view storage, const std::string& dir, Store& store) {
  if (storage == "files") return open_file_blob_store(dir);
  if (storage == "database") return open_database_blob_store(store);
  return Status::invalid("document storage '" + std::string(storage) + "': expected files or database");
}

}  // namespace carnet::store
