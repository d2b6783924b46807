#include "documents/vault.h"

#include "crypto/aead.h"
#include "store/space_keys.h"

namespace carnet::documents {
namespace {

std::string key_ad(std::string_view space, std::string_view binary_id, int64_t version, std::string_view blob_id) {
  return "carnet/document-key/v1/" + std::string(space) + "/" + std::string(binary_id) + "/" + std::to_string(version) +
         "/" + std::string(blob_id);
}

}  // namespace

Vault::Vault(store::BlobStore& blobs, const crypto::KeyRing& ring, const Clock& clock, uint64_t max_document_bytes)
    : blobs_(blobs), ring_(ring), clock_(clock), max_document_bytes_(max_document_bytes) {}

Status Vault::attach(store::Transaction& tx, std::string_view space, std::string_view binary_id, int64_t version,
                     const SpooledBlob& blob, std::string_view content_type) const {
  auto space_key = store::SpaceKeys(ring_).get(tx, space);
  if (!space_key.is_ok()) return space_key.status();
  std::string sealed = crypto::seal(*space_key, blob.key.view(), key_ad(space, binary_id, version, blob.blob_id));
  return tx
      .exec("INSERT INTO binary_contents (space_id, binary_id, version, blob_id, sealed_key, size, sha1, content_type, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {std::string(space), std::string(binary_id), version, blob.blob_id, store::Blob{sealed},
             static_cast<int64_t>(blob.size), store::Blob{blob.sha1}, std::string(content_type),
             format_instant(clock_.now())})
      .status();
}

Result<BinaryContent> Vault::content(store::Transaction& tx, std::string_view space, std::string_view binary_id,
                                     int64_t version) const {
  auto row = tx.query_one(
      "SELECT blob_id, sealed_key, size, sha1, content_type FROM binary_contents WHERE space_id = ? AND binary_id = ? AND version = ?",
      {std::string(space), std::string(binary_id), version});
  if (!row.is_ok()) return row.status();
  if (!*row) return Status::not_found("Binary/" + std::string(binary_id) + " has no content");
  const store::Row& r = **row;
  auto space_key = store::SpaceKeys(ring_).get(tx, space);
  if (!space_key.is_ok()) return space_key.status();
  auto key = crypto::open(*space_key, r.text(1), key_ad(space, binary_id, version, r.text(0)));
  if (!key.is_ok()) return key.status();
  if (key->size() != crypto::kKeyBytes) return Status::corrupt("document key has the wrong length");
  BinaryContent c;
  c.blob_id = r.text(0);
  c.key = crypto::SecretKey::from_bytes(*key);
  c.size = uint64_t(r.integer(2));
  c.sha1 = r.text(3);
  c.content_type = r.text(4);
  return c;
}

Result<std::unique_ptr<BlobPlainReader>> Vault::open(const BinaryContent& c) const {
  return BlobPlainReader::open(blobs_, c.blob_id, c.key, c.size);
}

Result<int64_t> Vault::collect_orphans(store::Store& store, std::chrono::seconds grace) const {
  return blobs_.collect(clock_.now() - grace, [&store](std::string_view id) -> Result<bool> {
    bool named = false;
    Status s = store.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
      // Named by a record of a space whose key still exists: once a space is erased (its key
      // shredded) its documents' bytes, unreadable already, are reclaimed too.
      auto row = tx.query_one(
          "SELECT 1 FROM binary_contents b WHERE b.blob_id = ? AND EXISTS "
          "(SELECT 1 FROM space_keys k WHERE k.space_id = b.space_id) LIMIT 1",
          {std::string(id)});
      if (!row.is_ok()) return row.status();
      named = row->has_value();
      return Status::ok();
    });
    if (!s.is_ok()) return s;
    return named;
  });
}

}  // namespace carnet::documents
