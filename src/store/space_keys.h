// Per-space data keys in the store, wrapped by the key ring's master key. Shredding a key
// (opposition, deletion, end of retention) makes the space's data permanently unreadable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::store {

class SpaceKeys {
 public:
  explicit SpaceKeys(const crypto::KeyRing& ring) : ring_(ring) {}

  // Creates the space's data key. kConflict if the space has a key or had one (shredded).
  Result<crypto::SecretKey> create(Transaction& tx, std::string_view space_id,
                                   const std::string& now) const;
  // For many spaces at once (enrolment): a key for a space id just generated (a new
  // time-ordered id never had a key, so none was shredded) and its space_keys row, in the
  // order of kColumns, to insert with insert_rows.
  struct NewKey {
    crypto::SecretKey key;
    std::vector<Value> row;
  };
  static constexpr std::string_view kColumns = "space_id, wrapped_key, master_fingerprint, created_at";
  NewKey fresh(std::string_view space_id, const std::string& now) const;
  // kNotFound when the space never had a key or its key was shredded (the message says
  // which); kCorrupt when the stored key fails authentication.
  Result<crypto::SecretKey> get(Transaction& tx, std::string_view space_id) const;
  // The key from its wrapped form, as a query that joined space_keys read it (`wrapped`
  // null: read as get() would, for its message).
  Result<crypto::SecretKey> get(Transaction& tx, std::string_view space_id, const Value& wrapped) const;
  // The wrapped key as a larger statement read it (`wrapped` null: nothing known), kept for
  // get() until the transaction ends: a create's access decision brings it, and its write
  // does not ask again.
  static void remember(Transaction& tx, std::string_view space_id, const Value& wrapped);
  // The column that reads a space's wrapped key in such a statement, the space's id being
  // the SQL expression `space_id_sql`.
  static std::string column(std::string_view space_id_sql);
  // Destroys the key and records when and why. Call Store::purge_deleted() after commit.
  // kNotFound if there is no live key.
  Status shred(Transaction& tx, std::string_view space_id, std::string_view reason,
               const std::string& now) const;

 private:
  const crypto::KeyRing& ring_;
};

}  // namespace carnet::store
