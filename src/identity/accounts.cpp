#include "identity/accounts.h"
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

namespace carnet::identity::internal {

std::string hex(const std::string& bytes) { return hex_encode(bytes); }

std::string normalize_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    out += char(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string new_numeric_code() { return crypto::random_string(6, "0123456789"); }

Status count_challenge_failure(store::Transaction& tx, const std::string& challenge_hash, int64_t attempts_before) {
  int64_t attempts = attempts_before + 1;
  auto r = attempts >= kMaxChallengeAttempts
               ? tx.exec("DELETE FROM challenges WHERE challenge_hash = ?", {store::Blob{challenge_hash}})
               : tx.exec("UPDATE challenges SET attempts = ? WHERE challenge_hash = ?", {attempts, store::Blob{challenge_hash}});
  return r.status();
}

}  // namespace carnet::identity::internal

namespace carnet::identity {

using namespace std::chrono;
using namespace internal;


Result<std::string> normalize_login(const std::string& login) {
  auto e = normalize_email(login);
  if (!e.is_ok()) return Status::invalid("login must be an e-mail address");
  return e;
}

Accounts::Accounts(store::Store& store, const crypto::KeyRing& ring, const Clock& clock, SecurityOptions options)
    : store_(store),
      ring_(ring),
      clock_(clock),
      options_(options),
      hasher_(options.password_cost, options.password_lane),
      sealing_key_(ring.service_key(crypto::ServiceKey::kSessions)) {
  auto dummy = hasher_.hash(crypto::random_token(16));
  dummy_hash_ = dummy.is_ok() ? *dummy : std::string();
}

// ---- throttling ------------------------------------------------------------------------

Status Accounts::throttle_check(store::Transaction& tx, const std::vector<std::string>& keys, const std::string& now) {
  for (const auto& key : keys) {
    auto row = tx.query_one("SELECT blocked_until FROM throttle WHERE throttle_key = ?", {key});
    if (!row.is_ok()) return row.status();
    if (*row && (*row)->text(0) > now) {
      return Status::throttled("too many failed attempts: try again after " + (*row)->text(0));
    }
  }
  return Status::ok();
}

Status Accounts::record_failure(store::Transaction& tx, const std::vector<std::string>& keys, const std::string& now) {
  for (const auto& key : keys) {
    auto up = tx.exec(
        "INSERT INTO throttle (throttle_key, failures, last_failure_at, blocked_until) VALUES (?, 1, ?, '') "
        "ON CONFLICT (throttle_key) DO UPDATE SET failures = throttle.failures + 1, last_failure_at = excluded.last_failure_at",
        {key, now});
    if (!up.is_ok()) return up.status();
    auto row = tx.query_one("SELECT failures FROM throttle WHERE throttle_key = ?", {key});
    if (!row.is_ok()) return row.status();
    int64_t failures = (*row)->integer(0);
    if (failures > options_.free_failures) {
      int64_t exponent = std::min<int64_t>(failures - options_.free_failures - 1, 30);
      auto wait = std::min<seconds>(seconds(int64_t(1) << exponent), options_.max_backoff);
      auto blocked = tx.exec("UPDATE throttle SET blocked_until = ? WHERE throttle_key = ?",
                             {format_instant(clock_.now() + wait), key});
      if (!blocked.is_ok()) return blocked.status();
    }
  }
  return Status::ok();
}

// ---- sessions ----------------------------------------------------------------------------

std::string Accounts::csrf_token_of(const std::string& session_token) const {
  return base64url_encode(ring_.lookup_hash("csrf-token", session_token)).substr(0, 32);
}

Result<NewSession> Accounts::create_session(store::Transaction& tx, const std::string& account_id, SessionKind kind,
                                            const ClientInfo& client, const std::string& now) {
  NewSession s;
  s.token = crypto::random_token(32);
  s.session_id = crypto::random_token(12);
  s.account_id = account_id;
  s.expires_at = format_instant(clock_.now() + options_.session_absolute);
  store::Value csrf(nullptr);
  if (kind == SessionKind::kCookie) {
    s.csrf_token = csrf_token_of(s.token);
    csrf = store::Blob{ring_.lookup_hash("csrf", s.csrf_token)};
  }
  auto ins = tx.exec(
      "INSERT INTO sessions (token_hash, session_id, account_id, kind, csrf_hash, created_at, last_seen_at, "
      "expires_at, client_address, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {store::Blob{ring_.lookup_hash("session", s.token)}, s.session_id, account_id,
       std::string(kind == SessionKind::kCookie ? "cookie" : "bearer"), csrf, now, now, s.expires_at,
       client.address.substr(0, 64), client.user_agent.substr(0, 200)});
  if (!ins.is_ok()) return ins.status();
  return s;
}

Result<Principal> Accounts::authenticate(const std::string& token, SessionKind kind,
                                         const std::optional<std::string>& csrf) {
  Status invalid = Status::unauthenticated("not signed in, or the session has expired");
  if (token.empty() || token.size() > 100) return invalid;
  auto now_tp = clock_.now();
  std::string now = format_instant(now_tp);
  std::string idle_cutoff = format_instant(now_tp - options_.session_idle);
  std::string token_hash = ring_.lookup_hash("session", token);
  Principal p;
  std::string last_seen;
  bool acting_elsewhere = false;  // the session row names another space than the holder's
  Status outcome = invalid;
  // On every request: the session row, then (acting for someone) whether that still holds;
  // each checked on the latest data, no snapshot needed between them.
  Status s = store_.transact(store::TxMode::kReadEach, [&](store::Transaction& tx) -> Status {
    auto row = tx.query_one(
        "SELECT s.session_id, s.account_id, s.kind, s.csrf_hash, s.last_seen_at, s.expires_at, s.revoked_at, "
        "a.kind, a.space_id, a.disabled, s.acting_space_id, a.idnatps FROM sessions s JOIN accounts a ON a.account_id = s.account_id "
        "WHERE s.token_hash = ?",
        {store::Blob{token_hash}});
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::ok();
    const store::Row& r = **row;
    bool kind_ok = r.text(2) == (kind == SessionKind::kCookie ? "cookie" : "bearer");
    if (!kind_ok || !r.is_null(6) || r.text(5) <= now || r.text(4) <= idle_cutoff || r.integer(9) != 0) {
      return Status::ok();
    }
    if (csrf && (kind != SessionKind::kCookie ||
                 !crypto::constant_time_equal(ring_.lookup_hash("csrf", *csrf), r.text(3)))) {
      outcome = Status::forbidden("missing or wrong X-CSRF-Token header");
      return Status::ok();
    }
    p.session_id = r.text(0);
    p.account_id = r.text(1);
    p.kind = r.text(7);
    p.space_id = r.is_null(8) ? "" : r.text(8);
    p.idnatps = r.is_null(11) ? "" : r.text(11);
    p.acting_space_id = p.space_id;
    if (!r.is_null(10) && r.text(10) != p.space_id) {
      acting_elsewhere = true;
      // Acting for a child (until 18) or for someone who delegated: only while it lasts.
      auto live = acts_for(tx, p.space_id, r.text(10));
      if (!live.is_ok()) return live.status();
      if (*live) p.acting_space_id = r.text(10);
    }
    last_seen = r.text(4);
    outcome = Status::ok();
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;
  // Refresh the idle clock at most once a minute (one write per session per minute).
  if (last_seen < format_instant(now_tp - minutes(1))) {
    Status touch = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
      return tx.exec("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", {now, store::Blob{token_hash}}).status();
    });
    if (!touch.is_ok()) log::warn("session_touch_failed", {{"error", touch.message()}});
  }
  if (acting_elsewhere) {
    std::lock_guard lock(remembered_mu_);
    remembered_.erase(token_hash);  // the confirmation checks a session acting in its own space
  } else {
    remember(token_hash, p, kind);
  }
  return p;
}

namespace {
constexpr auto kRememberFor = std::chrono::minutes(1);  // the idle clock's resolution
constexpr size_t kRememberedLimit = 100'000;
}  // namespace

void Accounts::remember(const std::string& token_hash, const Principal& who, SessionKind kind) const {
  std::lock_guard lock(remembered_mu_);
  if (remembered_.size() >= kRememberedLimit) remembered_.clear();  // refilled by the next requests
  remembered_[token_hash] = {who, kind, clock_.now()};
}

std::optional<Accounts::RememberedSession> Accounts::remembered(const std::string& token, SessionKind kind) const {
  if (token.empty() || token.size() > 100) return std::nullopt;
  std::string token_hash = ring_.lookup_hash("session", token);
  auto now_tp = clock_.now();
  RememberedSession out;
  {
    std::lock_guard lock(remembered_mu_);
    auto it = remembered_.find(token_hash);
    if (it == remembered_.end() || it->second.kind != kind || now_tp - it->second.at >= kRememberFor) {
      return std::nullopt;
    }
    out.who = it->second.who;
  }
  // What authenticate() checks on the session row, as it stands when the statement runs.
  out.confirmation = {"EXISTS (SELECT 1 FROM sessions se JOIN accounts ac ON ac.account_id = se.account_id "
                      "WHERE se.token_hash = ? AND se.revoked_at IS NULL AND se.expires_at > ? AND se.last_seen_at > ? "
                      "AND ac.disabled = 0 AND (se.acting_space_id IS NULL OR se.acting_space_id = ac.space_id))",
                      {store::Blob{std::move(token_hash)}, format_instant(now_tp),
                       format_instant(now_tp - options_.session_idle)}};
  return out;
}

void Accounts::forget(const std::string& token) const {
  std::string token_hash = ring_.lookup_hash("session", token);
  std::lock_guard lock(remembered_mu_);
  remembered_.erase(token_hash);
}

Result<std::vector<SessionView>> Accounts::list_sessions(const Principal& who) {
  auto now_tp = clock_.now();
  std::string now = format_instant(now_tp), idle_cutoff = format_instant(now_tp - options_.session_idle);
  std::vector<SessionView> out;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    out.clear();
    return tx.query_each(
        "SELECT session_id, kind, created_at, last_seen_at, expires_at, client_address, user_agent FROM sessions "
        "WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at > ? ORDER BY created_at",
        {who.account_id, now, idle_cutoff}, [&](const store::Row& r) {
          out.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6),
                         r.text(0) == who.session_id});
          return Status::ok();
        });
  });
  if (!s.is_ok()) return s;
  return out;
}

Status Accounts::revoke_session(const Principal& who, const std::string& session_id) {
  std::string now = format_instant(clock_.now());
  int64_t changed = 0;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto r = tx.exec("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND session_id = ? AND revoked_at IS NULL",
                     {now, who.account_id, session_id});
    if (!r.is_ok()) return r.status();
    changed = *r;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (changed == 0) return Status::not_found("no such active session");
  return Status::ok();
}

// ---- one-time codes ------------------------------------------------------------------------

Status Accounts::send_code(store::Transaction& tx, const std::string& factor, const std::string& destination,
                           const std::string& code, const std::string& now) {
  notify::Notice n;
  n.channel = factor == "sms" ? notify::Channel::kSms : notify::Channel::kEmail;
  n.recipient = destination;
  n.template_id = "one_time_code";
  n.params = {{"code", code}};
  return notify::Outbox(ring_).enqueue(tx, n, now);
}

Status Accounts::tell_account(store::Transaction& tx, const std::string& account_id, const std::string& template_id,
                              const std::string& now) {
  auto row = tx.query_one("SELECT login_sealed FROM accounts WHERE account_id = ?", {account_id});
  if (!row.is_ok()) return row.status();
  if (!*row) return Status::not_found("no such account");
  auto login = crypto::open(sealing_key_, (**row).text(0), "carnet.login.v1:" + account_id);
  if (!login.is_ok()) return login.status();
  notify::Notice n;
  n.channel = notify::Channel::kEmail;
  n.recipient = *login;
  n.template_id = template_id;
  n.params = {{"date", now.substr(0, 10)}};
  return notify::Outbox(ring_).enqueue(tx, n, now);
}

// ---- sign-in -----------------------------------------------------------------------------------

Result<SignInStarted> Accounts::start_sign_in(const std::string& login_text, const std::string& password,
                                              const ClientInfo& client) {
  std::string now = format_instant(clock_.now());
  auto login = normalize_login(login_text);
  std::string login_hash = ring_.lookup_hash("login", login.is_ok() ? *login : login_text);
  std::vector<std::string> keys = {"login:" + hex(login_hash), "addr:" + client.address};
  std::string account_id, stored_hash, factor;
  bool disabled = false;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    CARNET_RETURN_IF_ERROR(throttle_check(tx, keys, now));
    auto row = tx.query_one("SELECT account_id, password_hash, second_factor, disabled FROM accounts WHERE login_hash = ?",
                            {store::Blob{login_hash}});
    if (!row.is_ok()) return row.status();
    if (*row) {
      account_id = (*row)->text(0);
      stored_hash = (*row)->text(1);
      factor = (*row)->text(2);
      disabled = (*row)->integer(3) != 0;
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;  // includes kThrottled
  // Same work whether or not the login exists.
  auto verified = hasher_.verify_and_upgrade(account_id.empty() ? dummy_hash_ : stored_hash, password);
  if (!verified.is_ok()) return verified.status();  // too many sign-ins at once: 503, try again
  const crypto::PasswordCheck& check = *verified;
  bool ok = !account_id.empty() && check.match && !disabled;

  SignInStarted started;
  Status outcome;
  s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    if (!ok) {
      CARNET_RETURN_IF_ERROR(record_failure(tx, keys, now));
      outcome = Status::unauthenticated(kBadCredentials);
      return Status::ok();
    }
    if (check.upgraded_hash) {
      auto up = tx.exec("UPDATE accounts SET password_hash = ? WHERE account_id = ?", {*check.upgraded_hash, account_id});
      if (!up.is_ok()) return up.status();
    }
    started.challenge_id = crypto::random_token(24);
    started.second_factor = factor;
    std::string otp;
    store::Value otp_hash(nullptr);
    if (factor != "totp") {
      otp = new_numeric_code();
      otp_hash = store::Blob{ring_.lookup_hash("otp", started.challenge_id + ":" + otp)};
    }
    auto ins = tx.exec(
        "INSERT INTO challenges (challenge_hash, purpose, account_id, otp_hash, created_at, expires_at) "
        "VALUES (?, 'sign_in', ?, ?, ?, ?)",
        {store::Blob{ring_.lookup_hash("challenge", started.challenge_id)}, account_id, otp_hash, now,
         format_instant(clock_.now() + options_.challenge_ttl)});
    if (!ins.is_ok()) return ins.status();
    if (otp.empty()) return Status::ok();
    std::string destination;
    auto row = tx.query_one("SELECT login_sealed, factor_sealed FROM accounts WHERE account_id = ?", {account_id});
    if (!row.is_ok()) return row.status();
    auto dest = crypto::open(sealing_key_, (*row)->text(factor == "sms" ? 1 : 0), "carnet." +
                             std::string(factor == "sms" ? "factor" : "login") + ".v1:" + account_id);
    if (!dest.is_ok()) return dest.status();
    return send_code(tx, factor, *dest, otp, now);
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;
  if (factor != "totp" && code_queued_) code_queued_();
  return started;
}

Result<NewSession> Accounts::finish_sign_in(const std::string& challenge_id, const std::string& code_text,
                                            SessionKind kind, const ClientInfo& client) {
  auto now_tp = clock_.now();
  std::string now = format_instant(now_tp);
  std::string challenge_hash = ring_.lookup_hash("challenge", challenge_id);
  std::string code = normalize_code(code_text);
  NewSession session;
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    auto row = tx.query_one(
        "SELECT c.account_id, c.otp_hash, c.attempts, a.second_factor, a.factor_sealed, a.totp_last_step, a.login_hash "
        "FROM challenges c JOIN accounts a ON a.account_id = c.account_id "
        "WHERE c.challenge_hash = ? AND c.purpose = 'sign_in' AND c.expires_at > ?",
        {store::Blob{challenge_hash}, now});
    if (!row.is_ok()) return row.status();
    if (!*row) {
      outcome = Status::unauthenticated(kChallengeGone);
      return Status::ok();
    }
    const store::Row& r = **row;
    std::string account_id = r.text(0), factor = r.text(3);
    std::vector<std::string> keys = {"login:" + hex(r.text(6)), "addr:" + client.address};
    Status blocked = throttle_check(tx, keys, now);
    if (!blocked.is_ok()) {
      outcome = blocked;
      return Status::ok();
    }
    bool ok = false;
    if (code.size() == 10) {  // a recovery code
      auto used = tx.exec("UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL",
                          {now, account_id, store::Blob{ring_.lookup_hash("recovery", account_id + ":" + code)}});
      if (!used.is_ok()) return used.status();
      ok = *used == 1;
    } else if (factor == "totp") {
      auto secret = crypto::open(sealing_key_, r.text(4), "carnet.factor.v1:" + account_id);
      if (!secret.is_ok()) return secret.status();
      auto step = crypto::totp_match(*secret, code, duration_cast<seconds>(now_tp.time_since_epoch()).count());
      // A code (a step) is accepted once: a replayed or older code is refused.
      if (step && int64_t(*step) > r.integer(5)) {
        auto up = tx.exec("UPDATE accounts SET totp_last_step = ? WHERE account_id = ?", {int64_t(*step), account_id});
        if (!up.is_ok()) return up.status();
        ok = true;
      }
    } else {
      ok = crypto::constant_time_equal(ring_.lookup_hash("otp", challenge_id + ":" + code), r.text(1));
    }
    if (!ok) {
      CARNET_RETURN_IF_ERROR(count_challenge_failure(tx, challenge_hash, r.integer(2)));
      CARNET_RETURN_IF_ERROR(record_failure(tx, keys, now));
      outcome = Status::unauthenticated(kBadCode);
      return Status::ok();
    }
    auto del = tx.exec("DELETE FROM challenges WHERE challenge_hash = ?", {store::Blob{challenge_hash}});
    if (!del.is_ok()) return del.status();
    auto reset = tx.exec("DELETE FROM throttle WHERE throttle_key = ?", {keys[0]});
    if (!reset.is_ok()) return reset.status();
    auto created = create_session(tx, account_id, kind, client, now);
    if (!created.is_ok()) return created.status();
    session = *created;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;
  return session;
}

}  // namespace carnet::identity
