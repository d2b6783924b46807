#include "store/space_keys.h"

namespace carnet::store {
namespace {

std::string memo_key(std::string_view space_id) { return "space_keys:" + std::string(space_id); }

}  // namespace

Result<crypto::SecretKey> SpaceKeys::create(Transaction& tx, std::string_view space_id,
                                            const std::string& now) const {
  auto shredded = tx.query_one("SELECT 1 FROM shredded_spaces WHERE space_id = ?", {std::string(space_id)});
  if (!shredded.is_ok()) return shredded.status();
  if (*shredded) return Status::conflict("space " + std::string(space_id) + " was erased; its key cannot be recreated");
  NewKey k = fresh(space_id, now);
  auto ins = tx.exec("INSERT INTO space_keys (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?)", k.row);
  if (!ins.is_ok()) {
    if (ins.status().code() == ErrorCode::kConflict) {
      return Status::conflict("space " + std::string(space_id) + " already has a data key");
    }
    return ins.status();
  }
  return k.key;
}

SpaceKeys::NewKey SpaceKeys::fresh(std::string_view space_id, const std::string& now) const {
  auto dk = ring_.new_data_key(space_id);
  return {dk.key, {std::string(space_id), Blob{std::move(dk.wrapped)}, ring_.fingerprint(), now}};
}

Result<crypto::SecretKey> SpaceKeys::get(Transaction& tx, std::string_view space_id) const {
  // Wrapped, the key is read once per transaction (Transaction::memo), and unwrapped each time.
  if (auto it = tx.memo().find(memo_key(space_id)); it != tx.memo().end()) {
    auto key = ring_.unwrap(space_id, it->second);
    if (!key.is_ok()) return key.status().with_context("data key of space " + std::string(space_id));
    return key;
  }
  auto row = tx.query_one("SELECT wrapped_key FROM space_keys WHERE space_id = ?", {std::string(space_id)});
  if (!row.is_ok()) return row.status();
  if (!*row) {
    auto shredded = tx.query_one("SELECT shredded_at FROM shredded_spaces WHERE space_id = ?",
                                 {std::string(space_id)});
    if (!shredded.is_ok()) return shredded.status();
    if (*shredded) {
      return Status::not_found("space " + std::string(space_id) + " was erased on " + (*shredded)->text(0));
    }
    return Status::not_found("space " + std::string(space_id) + " has no data key");
  }
  auto key = ring_.unwrap(space_id, (*row)->text(0));
  if (!key.is_ok()) return key.status().with_context("data key of space " + std::string(space_id));
  tx.memo()[memo_key(space_id)] = (*row)->text(0);
  return key;
}

void SpaceKeys::remember(Transaction& tx, std::string_view space_id, const Value& wrapped) {
  if (const auto* b = std::get_if<Blob>(&wrapped)) {
    tx.memo()[memo_key(space_id)] = b->bytes;
  } else if (const auto* t = std::get_if<std::string>(&wrapped)) {
    tx.memo()[memo_key(space_id)] = *t;
  }
}

std::string SpaceKeys::column(std::string_view space_id_sql) {
  return "(SELECT k.wrapped_key FROM space_keys k WHERE k.space_id = " + std::string(space_id_sql) + ")";
}

Result<crypto::SecretKey> SpaceKeys::get(Transaction& tx, std::string_view space_id, const Value& wrapped) const {
  const std::string* bytes = std::get_if<std::string>(&wrapped);
  if (auto b = std::get_if<Blob>(&wrapped)) bytes = &b->bytes;
  if (!bytes) return get(tx, space_id);
  auto key = ring_.unwrap(space_id, *bytes);
  if (!key.is_ok()) return key.status().with_context("data key of space " + std::string(space_id));
  return key;
}

Status SpaceKeys::shred(Transaction& tx, std::string_view space_id, std::string_view reason,
                        const std::string& now) const {
  tx.memo().erase(memo_key(space_id));
  auto del = tx.exec("DELETE FROM space_keys WHERE space_id = ?", {std::string(space_id)});
  if (!del.is_ok()) return del.status();
  if (*del == 0) return Status::not_found("space " + std::string(space_id) + " has no live data key");
  auto ins = tx.exec("INSERT INTO shredded_spaces (space_id, shredded_at, reason) VALUES (?, ?, ?)",
                     {std::string(space_id), now, std::string(reason)});
  return ins.status();
}

}  // namespace carnet::store
