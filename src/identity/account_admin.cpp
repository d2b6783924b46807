// Accounts: operators and representation (acting in a minor's space).
#include "identity/accounts.h"
#include "fhir/stored_json.h"
#include "identity/accounts_internal.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/encoding.h"
#include "core/log.h"
#include "core/qr.h"
#include "fhir/resource_store.h"
#include "identity/directory.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "identity/contacts.h"
#include "identity/password_policy.h"
#include "notify/outbox.h"
#include "store/space_keys.h"

namespace carnet::identity {

using namespace std::chrono;
using namespace internal;

// ---- operators ---------------------------------------------------------------------------------

Result<std::string> Accounts::create_operator(const std::string& login_text, const std::string& password) {
  return create_operator(login_text, password, crypto::random_bytes(crypto::kTotpSecretBytes));
}

Result<std::string> Accounts::create_operator(const std::string& login_text, const std::string& password,
                                              const std::string& secret) {
  if (secret.size() != crypto::kTotpSecretBytes) return Status::invalid("a TOTP secret has " + std::to_string(crypto::kTotpSecretBytes) + " bytes");
  auto login = normalize_login(login_text);
  if (!login.is_ok()) return login.status();
  std::string local = login->substr(0, login->find('@'));
  CARNET_RETURN_IF_ERROR(check_password(password, {local}));
  auto hash = hasher_.hash(password);
  if (!hash.is_ok()) return hash.status();
  std::string account_id = crypto::random_uuid();
  std::string now = format_instant(clock_.now());
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto ins = tx.exec(
        "INSERT INTO accounts (account_id, kind, login_hash, login_sealed, password_hash, second_factor, "
        "factor_sealed, created_at) VALUES (?, 'operator', ?, ?, ?, 'totp', ?, ?)",
        {account_id, store::Blob{ring_.lookup_hash("login", *login)},
         store::Blob{crypto::seal(sealing_key_, *login, "carnet.login.v1:" + account_id)}, *hash,
         store::Blob{crypto::seal(sealing_key_, secret, "carnet.factor.v1:" + account_id)}, now});
    if (!ins.is_ok() && ins.status().code() == ErrorCode::kConflict) {
      return Status::conflict("this login is already used by another account");
    }
    return ins.status();
  });
  if (!s.is_ok()) return s;
  log::info("operator_created", {{"account_id", account_id}});
  return secret;
}

// ---- representation --------------------------------------------------------------------------

Result<bool> Accounts::represents(store::Transaction& tx, const std::string& own_space_id, const std::string& space_id) {
  auto row = tx.query_one(
      "SELECT 1 FROM representatives r JOIN spaces own ON own.ins_hash = r.representative_ins_hash "
      "JOIN spaces child ON child.space_id = r.space_id "
      "WHERE own.space_id = ? AND r.space_id = ? AND r.until_date IS NULL AND child.state IN ('notified', 'open')",
      {own_space_id, space_id});
  if (!row.is_ok()) return row.status();
  return row->has_value();
}

Result<bool> Accounts::acts_for(store::Transaction& tx, const std::string& own_space_id, const std::string& space_id) {
  auto legal = represents(tx, own_space_id, space_id);
  if (!legal.is_ok() || *legal) return legal;
  auto row = tx.query_one(
      "SELECT 1 FROM delegations d JOIN spaces s ON s.space_id = d.space_id WHERE d.space_id = ? AND d.delegate_space_id = ? "
      "AND d.revoked_at IS NULL AND s.state IN ('notified', 'open')",
      {space_id, own_space_id});
  if (!row.is_ok()) return row.status();
  return row->has_value();
}

Result<std::vector<SpaceSummary>> Accounts::my_spaces(const Principal& who) {
  std::vector<SpaceSummary> out;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    out.clear();
    std::vector<std::pair<std::string, std::string>> ids;  // space, role
    if (!who.space_id.empty()) ids.emplace_back(who.space_id, "holder");
    CARNET_RETURN_IF_ERROR(tx.query_each(
        "SELECT r.space_id FROM representatives r JOIN spaces own ON own.ins_hash = r.representative_ins_hash "
        "JOIN spaces child ON child.space_id = r.space_id "
        "WHERE own.space_id = ? AND r.until_date IS NULL AND child.state IN ('notified', 'open') ORDER BY r.since",
        {who.space_id}, [&](const store::Row& r) {
          ids.emplace_back(r.text(0), "representative");
          return Status::ok();
        }));
    CARNET_RETURN_IF_ERROR(tx.query_each(
        "SELECT d.space_id FROM delegations d JOIN spaces s ON s.space_id = d.space_id "
        "WHERE d.delegate_space_id = ? AND d.revoked_at IS NULL AND s.state IN ('notified', 'open') ORDER BY d.since",
        {who.space_id}, [&](const store::Row& r) {
          ids.emplace_back(r.text(0), "delegate");
          return Status::ok();
        }));
    store::SpaceKeys keys(ring_);
    for (const auto& [id, role] : ids) {
      auto row = tx.query_one("SELECT state, identity FROM spaces WHERE space_id = ?", {id});
      if (!row.is_ok()) return row.status();
      if (!*row) continue;
      SpaceSummary summary{id, role, "", (*row)->text(0)};
      auto key = keys.get(tx, id);
      if (key.is_ok() && !(*row)->is_null(1)) {
        auto plain = crypto::open(*key, (*row)->text(1), "carnet.space-identity.v1:" + id);
        auto person = plain.is_ok() ? fhir::parse_stored(*plain, "space identity") : Result<nlohmann::json>(plain.status());
        if (person.is_ok()) {
          auto names = fhir::texts_of(*person, "first_names");
          if (!names.empty()) summary.first_name = names.front();
        }
      }
      out.push_back(std::move(summary));
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return out;
}

Result<Accounts::About> Accounts::about(const Principal& who) {
  About out;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    out = {};
    auto previous = tx.query_one("SELECT MAX(last_seen_at) FROM sessions WHERE account_id = ? AND session_id <> ?",
                                 {who.account_id, who.session_id});
    if (!previous.is_ok()) return previous.status();
    if (*previous && !(*previous)->is_null(0)) out.previous_visit_at = (*previous)->text(0);
    auto factor = tx.query_one("SELECT second_factor, (SELECT COUNT(*) FROM recovery_codes r WHERE r.account_id = "
                               "a.account_id AND r.used_at IS NULL) FROM accounts a WHERE a.account_id = ?",
                               {who.account_id});
    if (!factor.is_ok()) return factor.status();
    if (*factor) {
      out.second_factor = (*factor)->text(0);
      out.recovery_codes_left = (*factor)->integer(1);
    }
    if (who.space_id.empty()) return Status::ok();
    auto identity = space_identity_json(tx, who.space_id);
    if (!identity.is_ok()) return identity.status();
    if (identity->empty()) return Status::ok();  // a shredded space has no name to show
    auto person = fhir::parse_stored(*identity, "space identity");
    if (!person.is_ok()) return person.status();
    auto names = fhir::texts_of(*person, "first_names");
    if (!names.empty()) out.first_name = names.front();
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return out;
}

Status Accounts::switch_space(const Principal& who, const std::string& space_id) {
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    if (space_id != who.space_id) {
      auto live = acts_for(tx, who.space_id, space_id);
      if (!live.is_ok()) return live.status();
      if (!*live) {
        outcome = Status::not_found("no such space among yours");
        return Status::ok();
      }
    }
    return tx.exec("UPDATE sessions SET acting_space_id = ? WHERE session_id = ?", {space_id, who.session_id}).status();
  });
  if (!s.is_ok()) return s;
  if (outcome.is_ok()) log::info("space_switched", {{"account_id", who.account_id}, {"space_id", space_id}});
  return outcome;
}

Status Accounts::invite_representative(const Principal& who, const std::string& space_id, const std::string& email_text) {
  auto email = normalize_email(email_text);
  if (!email.is_ok()) return email.status();
  std::string now = format_instant(clock_.now());
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    auto live = represents(tx, who.space_id, space_id);
    if (!live.is_ok()) return live.status();
    if (!*live) {
      outcome = Status::not_found("no such space among those you represent");
      return Status::ok();
    }
    auto other = tx.query_one(
        "SELECT 1 FROM representatives r WHERE r.space_id = ? AND r.until_date IS NULL AND r.representative_ins_hash <> "
        "(SELECT ins_hash FROM spaces WHERE space_id = ?)",
        {space_id, who.space_id});
    if (!other.is_ok()) return other.status();
    if (!*other) {
      outcome = Status::not_found("no other legal representative is listed for this child");
      return Status::ok();
    }
    auto row = tx.query_one("SELECT identity FROM spaces WHERE space_id = ?", {space_id});
    if (!row.is_ok()) return row.status();
    auto key = store::SpaceKeys(ring_).get(tx, space_id);
    if (!key.is_ok()) return key.status();
    auto plain = crypto::open(*key, (*row)->text(0), "carnet.space-identity.v1:" + space_id);
    if (!plain.is_ok()) return plain.status();
    auto person = fhir::parse_stored(*plain, "space identity");
    if (!person.is_ok()) return person.status();
    auto names = fhir::texts_of(*person, "first_names");
    notify::Notice n;
    n.space_id = space_id;
    n.channel = notify::Channel::kEmail;
    n.recipient = *email;
    n.template_id = "representative_invitation";
    n.params = {{"first_name", names.empty() ? std::string() : names.front()}};
    return notify::Outbox(ring_).enqueue(tx, n, now);
  });
  if (!s.is_ok()) return s;
  return outcome;
}

}  // namespace carnet::identity
