// Passwords after activation: a change by the signed-in person (the current password asked
// again), and a reset of a forgotten one with a code e-mailed to the login. The second factor
// still guards the next sign-in, so a stolen mailbox alone does not open a space.
#include <nlohmann/json.hpp>

#include "fhir/stored_json.h"
#include "core/encoding.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "identity/accounts.h"
#include "identity/accounts_internal.h"
#include "identity/password_policy.h"
#include "notify/outbox.h"
#include "store/space_keys.h"

namespace carnet::identity {
namespace {

using namespace std::chrono;

constexpr int64_t kResetAttempts = 5;
constexpr minutes kResetValidity{30};
constexpr seconds kResetResendAfter{60};
constexpr char kResetRefused[] = "this code is wrong or expired: ask for a new one";
// No 0/O, 1/I/L, as the provisional codes: it is typed from an e-mail.
constexpr std::string_view kResetAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

std::string reset_hash(const crypto::KeyRing& ring, const std::string& account_id, std::string_view code) {
  return ring.lookup_hash("password-reset", account_id + ":" + internal::normalize_code(code));
}

}  // namespace

Result<std::vector<std::string>> Accounts::personal_words(store::Transaction& tx, const std::string& account_id) {
  auto row = tx.query_one("SELECT login_sealed, space_id FROM accounts WHERE account_id = ?", {account_id});
  if (!row.is_ok()) return row.status();
  if (!*row) return Status::not_found("no such account");
  std::vector<std::string> words;
  auto login = crypto::open(sealing_key_, (*row)->text(0), "carnet.login.v1:" + account_id);
  if (!login.is_ok()) return login.status();
  words.push_back(login->substr(0, login->find('@')));
  if ((*row)->is_null(1)) return words;
  auto identity = space_identity_json(tx, (*row)->text(1));
  if (!identity.is_ok()) return identity.status();
  if (identity->empty()) return words;
  auto parsed = fhir::parse_stored(*identity, "space identity");
  if (!parsed.is_ok()) return parsed.status();
  const nlohmann::json& person = *parsed;
  for (const auto& n : fhir::texts_of(person, "first_names")) words.push_back(n);
  words.push_back(fhir::text_of(person, "birth_name"));
  return words;
}

Status Accounts::store_password(store::Transaction& tx, const std::string& account_id, const std::string& hash,
                                const std::string& keep_session, const std::string& now) {
  CARNET_RETURN_IF_ERROR(tx.exec("UPDATE accounts SET password_hash = ? WHERE account_id = ?", {hash, account_id}).status());
  CARNET_RETURN_IF_ERROR(tx.exec("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND session_id <> ? AND revoked_at IS NULL",
                                 {now, account_id, keep_session})
                             .status());
  return tell_account(tx, account_id, "password_changed", now);
}

Status Accounts::change_password(const Principal& who, const std::string& current, const std::string& next) {
  CARNET_RETURN_IF_ERROR(check_current_password(who, current));
  const std::string now = format_instant(clock_.now());
  std::vector<std::string> personal;
  CARNET_RETURN_IF_ERROR(store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto words = personal_words(tx, who.account_id);
    if (!words.is_ok()) return words.status();
    personal = std::move(*words);
    return Status::ok();
  }));
  std::vector<std::string_view> words(personal.begin(), personal.end());
  CARNET_RETURN_IF_ERROR(check_password(next, words));
  auto hash = hasher_.hash(next);
  if (!hash.is_ok()) return hash.status();
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
    return store_password(tx, who.account_id, *hash, who.session_id, now);
  });
}

Status Accounts::request_password_reset(const std::string& login_text, const ClientInfo& client) {
  auto login = normalize_login(login_text);
  if (!login.is_ok()) return login.status();
  const auto now_tp = clock_.now();
  const std::string now = format_instant(now_tp);
  const std::vector<std::string> keys = {"addr:" + client.address};
  bool queued = false;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    queued = false;
    CARNET_RETURN_IF_ERROR(throttle_check(tx, keys, now));
    auto row = tx.query_one(
        "SELECT a.account_id, r.created_at FROM accounts a LEFT JOIN password_resets r ON r.account_id = a.account_id "
        "WHERE a.login_hash = ? AND a.disabled = 0",
        {store::Blob{ring_.lookup_hash("login", *login)}});
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::ok();  // the same answer for an unknown login
    const std::string account_id = (*row)->text(0);
    if (!(*row)->is_null(1) && (*row)->text(1) > format_instant(now_tp - kResetResendAfter)) return Status::ok();
    std::string code = crypto::random_string(10, kResetAlphabet);
    CARNET_RETURN_IF_ERROR(tx.exec("INSERT INTO password_resets (account_id, code_hash, attempts, created_at, expires_at) "
                                   "VALUES (?, ?, 0, ?, ?) ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash, "
                                   "attempts = 0, created_at = excluded.created_at, expires_at = excluded.expires_at",
                                   {account_id, store::Blob{reset_hash(ring_, account_id, code)}, now,
                                    format_instant(now_tp + kResetValidity)})
                               .status());
    notify::Notice n;
    n.channel = notify::Channel::kEmail;
    n.recipient = *login;
    n.template_id = "password_reset";
    n.params = {{"code", code.substr(0, 5) + "-" + code.substr(5)}, {"minutes", std::to_string(kResetValidity.count())}};
    CARNET_RETURN_IF_ERROR(notify::Outbox(ring_).enqueue(tx, n, now));
    queued = true;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (queued && code_queued_) code_queued_();
  return Status::ok();
}

Status Accounts::reset_password(const std::string& login_text, const std::string& code, const std::string& password,
                                const ClientInfo& client) {
  auto login = normalize_login(login_text);
  if (!login.is_ok()) return login.status();
  const std::string now = format_instant(clock_.now());
  const std::string login_hash = ring_.lookup_hash("login", *login);
  const std::vector<std::string> keys = {"login:" + internal::hex(login_hash), "addr:" + client.address};
  std::string account_id;
  std::vector<std::string> personal;
  Status outcome;
  // Check the code first (and count a wrong one), then the new password against the policy.
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    account_id.clear();
    CARNET_RETURN_IF_ERROR(throttle_check(tx, keys, now));
    auto row = tx.query_one(
        "SELECT a.account_id, r.code_hash, r.attempts, r.expires_at FROM accounts a "
        "JOIN password_resets r ON r.account_id = a.account_id WHERE a.login_hash = ? AND a.disabled = 0",
        {store::Blob{login_hash}});
    if (!row.is_ok()) return row.status();
    bool good = *row && (*row)->integer(2) < kResetAttempts && (*row)->text(3) > now &&
                crypto::constant_time_equal(reset_hash(ring_, (*row)->text(0), code), (*row)->text(1));
    if (!good) {
      if (*row) {
        CARNET_RETURN_IF_ERROR(tx.exec("UPDATE password_resets SET attempts = attempts + 1 WHERE account_id = ?",
                                       {(*row)->text(0)})
                                   .status());
      }
      CARNET_RETURN_IF_ERROR(record_failure(tx, keys, now));
      outcome = Status::unauthenticated(kResetRefused);
      return Status::ok();
    }
    account_id = (*row)->text(0);
    auto words = personal_words(tx, account_id);
    if (!words.is_ok()) return words.status();
    personal = std::move(*words);
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;
  std::vector<std::string_view> words(personal.begin(), personal.end());
  CARNET_RETURN_IF_ERROR(check_password(password, words));
  auto hash = hasher_.hash(password);
  if (!hash.is_ok()) return hash.status();
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    // Used once: a second confirmation with the same code finds no row.
    auto used = tx.exec("DELETE FROM password_resets WHERE account_id = ? AND attempts < ?", {account_id, kResetAttempts});
    if (!used.is_ok()) return used.status();
    if (*used == 0) return Status::unauthenticated(kResetRefused);
    return store_password(tx, account_id, *hash, "", now);
  });
}

}  // namespace carnet::identity
