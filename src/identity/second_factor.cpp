// Second factors: the pieces activation shares with a later change of factor, the change
// itself (new factor proven by its first code before it replaces the old one) and new
// recovery codes. A change asks for the current password again, ends the other sessions and
// tells the person by e-mail: a session left open somewhere cannot quietly move the account
// to an attacker's authenticator.
#include <nlohmann/json.hpp>

#include "fhir/stored_json.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/qr.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "identity/accounts.h"
#include "identity/accounts_internal.h"
#include "notify/outbox.h"
#include "store/space_keys.h"

namespace carnet::identity {
namespace {

using namespace std::chrono;

std::string change_aad(const std::string& account_id) { return "carnet.factor-change.v1:" + account_id; }

}  // namespace

// ---- pieces shared with activation ---------------------------------------------------------------

Result<Accounts::PendingFactor> Accounts::prepare_factor(const std::string& factor, const std::string& login,
                                                         const std::string& phone, ActivationStarted& started) {
  PendingFactor pending{factor, "", "", ""};
  if (factor == "totp") {
    pending.secret = crypto::random_bytes(crypto::kTotpSecretBytes);
    started.otpauth_uri = crypto::otpauth_uri("Carnet", login, pending.secret);
    auto svg = qr_svg(started.otpauth_uri, "QR code à scanner avec votre application d'authentification");
    if (!svg.is_ok()) return svg.status();
    started.qr_svg = *svg;
  } else {
    pending.destination = factor == "sms" ? phone : login;
    pending.otp = internal::new_numeric_code();
  }
  return pending;
}

Result<Accounts::PendingFactor> Accounts::pending_factor_of(const nlohmann::json& payload) {
  auto text = [&](const char* name) {
    auto it = payload.find(name);
    return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  PendingFactor pending{text("factor"), "", text("destination"), ""};
  if (pending.factor == "totp") {
    auto secret = base64_decode(text("secret"));
    if (!secret || secret->empty()) return Status::corrupt("pending second factor: no readable secret");
    pending.secret = std::move(*secret);
  } else if (pending.factor.empty()) {
    return Status::corrupt("pending second factor: no factor");
  }
  return pending;
}

bool Accounts::pending_factor_matches(const PendingFactor& pending, const std::string& pending_id,
                                      const std::string& otp_hash, const std::string& code, uint64_t& step) const {
  if (pending.factor == "totp") {
    auto m = crypto::totp_match(pending.secret, code, duration_cast<seconds>(clock_.now().time_since_epoch()).count());
    step = m.value_or(0);
    return m.has_value();
  }
  return !otp_hash.empty() && crypto::constant_time_equal(ring_.lookup_hash("otp", pending_id + ":" + code), otp_hash);
}

store::Value Accounts::sealed_factor(const PendingFactor& pending, const std::string& account_id) const {
  const std::string aad = "carnet.factor.v1:" + account_id;
  if (pending.factor == "totp") return store::Blob{crypto::seal(sealing_key_, pending.secret, aad)};
  if (pending.factor == "sms") return store::Blob{crypto::seal(sealing_key_, pending.destination, aad)};
  return store::Value(nullptr);  // e-mail codes go to the login
}

Result<std::vector<std::string>> Accounts::issue_recovery_codes(store::Transaction& tx, const std::string& account_id) {
  CARNET_RETURN_IF_ERROR(tx.exec("DELETE FROM recovery_codes WHERE account_id = ?", {account_id}).status());
  std::vector<std::string> shown;
  for (int i = 0; i < internal::kRecoveryCodes; ++i) {
    std::string raw = crypto::random_string(10, internal::kRecoveryAlphabet);
    CARNET_RETURN_IF_ERROR(tx.exec("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)",
                                   {account_id, store::Blob{ring_.lookup_hash("recovery", account_id + ":" + raw)}})
                               .status());
    shown.push_back(raw.substr(0, 5) + "-" + raw.substr(5));
  }
  return shown;
}

Status Accounts::check_current_password(const Principal& who, const std::string& password) {
  const std::string now = format_instant(clock_.now());
  const std::vector<std::string> keys = {"account:" + who.account_id};
  std::string stored;
  CARNET_RETURN_IF_ERROR(store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    CARNET_RETURN_IF_ERROR(throttle_check(tx, keys, now));
    auto row = tx.query_one("SELECT password_hash FROM accounts WHERE account_id = ? AND disabled = 0", {who.account_id});
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::unauthenticated("not signed in, or the session has expired");
    stored = (*row)->text(0);
    return Status::ok();
  }));
  auto verified = hasher_.verify_and_upgrade(stored, password);
  if (!verified.is_ok()) return verified.status();
  if (verified->match) return Status::ok();
  CARNET_RETURN_IF_ERROR(store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
    return record_failure(tx, keys, now);
  }));
  return Status::unauthenticated("the current password is incorrect");
}

Result<std::string> Accounts::space_identity_json(store::Transaction& tx, const std::string& space_id) {
  auto row = tx.query_one("SELECT identity FROM spaces WHERE space_id = ?", {space_id});
  if (!row.is_ok()) return row.status();
  if (!*row || (*row)->is_null(0)) return std::string();
  auto key = store::SpaceKeys(ring_).get(tx, space_id);
  if (!key.is_ok()) return std::string();  // shredded
  return crypto::open(*key, (*row)->text(0), "carnet.space-identity.v1:" + space_id);
}

// ---- a change of second factor ---------------------------------------------------------------------

Result<ActivationStarted> Accounts::start_factor_change(const Principal& who, const std::string& current_password,
                                                        const std::string& second_factor) {
  // Operators (enrolment, access matrix) keep an authenticator app: they may only renew it.
  const bool holder = who.kind == "holder", operator_ = who.kind == "operator";
  if (operator_ && second_factor != "totp") return Status::invalid("an operator's second_factor must be totp");
  if (second_factor != "totp" && second_factor != "email" && !(holder && second_factor == "sms")) {
    return Status::invalid(holder ? "second_factor must be totp, email or sms" : "second_factor must be totp or email");
  }
  CARNET_RETURN_IF_ERROR(check_current_password(who, current_password));
  std::string login, phone;
  CARNET_RETURN_IF_ERROR(store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto row = tx.query_one("SELECT login_sealed FROM accounts WHERE account_id = ?", {who.account_id});
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::unauthenticated("not signed in, or the session has expired");
    auto plain = crypto::open(sealing_key_, (*row)->text(0), "carnet.login.v1:" + who.account_id);
    if (!plain.is_ok()) return plain.status();
    login = *plain;
    if (second_factor != "sms") return Status::ok();
    auto identity = space_identity_json(tx, who.space_id);
    if (!identity.is_ok()) return identity.status();
    if (!identity->empty()) {
      auto person = fhir::parse_stored(*identity, "space identity");
      if (!person.is_ok()) return person.status();
      phone = fhir::text_of(*person, "mobile");
    }
    return Status::ok();
  }));
  if (second_factor == "sms" && phone.empty()) {
    return Status::invalid("no mobile number is known for this space: choose totp or email");
  }
  ActivationStarted started;
  started.activation_id = crypto::random_token(24);
  started.second_factor = second_factor;
  auto pending = prepare_factor(second_factor, login, phone, started);
  if (!pending.is_ok()) return pending.status();
  nlohmann::json payload = {{"factor", second_factor}, {"destination", pending->destination}};
  if (second_factor == "totp") payload["secret"] = base64_encode(pending->secret);
  const auto now_tp = clock_.now();
  const std::string now = format_instant(now_tp);
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    store::Value otp_hash = pending->otp.empty()
                                ? store::Value(nullptr)
                                : store::Value(store::Blob{ring_.lookup_hash("otp", started.activation_id + ":" + pending->otp)});
    CARNET_RETURN_IF_ERROR(
        tx.exec("INSERT INTO factor_changes (account_id, change_hash, payload, otp_hash, attempts, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (account_id) DO UPDATE SET change_hash = excluded.change_hash, "
                "payload = excluded.payload, otp_hash = excluded.otp_hash, attempts = 0, created_at = excluded.created_at, "
                "expires_at = excluded.expires_at",
                {who.account_id, store::Blob{ring_.lookup_hash("factor-change", started.activation_id)},
                 store::Blob{crypto::seal(sealing_key_, payload.dump(), change_aad(who.account_id))}, otp_hash, now,
                 format_instant(now_tp + options_.challenge_ttl)})
            .status());
    if (pending->otp.empty()) return Status::ok();
    return send_code(tx, second_factor, pending->destination, pending->otp, now);
  });
  if (!s.is_ok()) return s;
  if (!pending->otp.empty() && code_queued_) code_queued_();
  return started;
}

Result<std::vector<std::string>> Accounts::confirm_factor_change(const Principal& who, const std::string& change_id,
                                                                 const std::string& code_text) {
  const std::string now = format_instant(clock_.now());
  const std::string code = internal::normalize_code(code_text);
  std::vector<std::string> codes;
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    codes.clear();
    auto row = tx.query_one(
        "SELECT change_hash, payload, otp_hash, attempts FROM factor_changes WHERE account_id = ? AND expires_at > ?",
        {who.account_id, now});
    if (!row.is_ok()) return row.status();
    if (!*row || !crypto::constant_time_equal(ring_.lookup_hash("factor-change", change_id), (*row)->text(0))) {
      outcome = Status::unauthenticated(internal::kChallengeGone);
      return Status::ok();
    }
    auto plain = crypto::open(sealing_key_, (*row)->text(1), change_aad(who.account_id));
    if (!plain.is_ok()) return plain.status();
    auto stored = fhir::parse_stored(*plain, "pending second factor");
    if (!stored.is_ok()) return stored.status();
    auto pending = pending_factor_of(*stored);
    if (!pending.is_ok()) return pending.status();
    uint64_t step = 0;
    if (!pending_factor_matches(*pending, change_id, (*row)->is_null(2) ? "" : (*row)->text(2), code, step)) {
      const int64_t attempts = (*row)->integer(3) + 1;
      CARNET_RETURN_IF_ERROR((attempts >= internal::kMaxChallengeAttempts
                                  ? tx.exec("DELETE FROM factor_changes WHERE account_id = ?", {who.account_id})
                                  : tx.exec("UPDATE factor_changes SET attempts = ? WHERE account_id = ?",
                                            {attempts, who.account_id}))
                                 .status());
      outcome = Status::unauthenticated(internal::kBadCode);
      return Status::ok();
    }
    CARNET_RETURN_IF_ERROR(tx.exec("UPDATE accounts SET second_factor = ?, factor_sealed = ?, totp_last_step = ? "
                                   "WHERE account_id = ?",
                                   {pending->factor, sealed_factor(*pending, who.account_id), int64_t(step), who.account_id})
                               .status());
    CARNET_RETURN_IF_ERROR(tx.exec("DELETE FROM factor_changes WHERE account_id = ?", {who.account_id}).status());
    CARNET_RETURN_IF_ERROR(tx.exec("DELETE FROM challenges WHERE account_id = ? AND purpose = 'sign_in'", {who.account_id})
                               .status());
    CARNET_RETURN_IF_ERROR(tx.exec("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND session_id <> ? AND "
                                   "revoked_at IS NULL",
                                   {now, who.account_id, who.session_id})
                               .status());
    auto issued = issue_recovery_codes(tx, who.account_id);
    if (!issued.is_ok()) return issued.status();
    codes = std::move(*issued);
    return tell_account(tx, who.account_id, "second_factor_changed", now);
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;
  log::info("second_factor_changed", {{"account_id", who.account_id}});
  return codes;
}

Result<std::vector<std::string>> Accounts::renew_recovery_codes(const Principal& who, const std::string& current_password) {
  CARNET_RETURN_IF_ERROR(check_current_password(who, current_password));
  const std::string now = format_instant(clock_.now());
  std::vector<std::string> codes;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto issued = issue_recovery_codes(tx, who.account_id);
    if (!issued.is_ok()) return issued.status();
    codes = std::move(*issued);
    return tell_account(tx, who.account_id, "recovery_codes_renewed", now);
  });
  if (!s.is_ok()) return s;
  log::info("recovery_codes_renewed", {{"account_id", who.account_id}});
  return codes;
}

}  // namespace carnet::identity
