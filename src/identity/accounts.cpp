#include "identity/accounts.h"

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
namespace {

using namespace std::chrono;

const char kBadCredentials[] = "the login or the password is incorrect";
const char kBadCode[] = "the code is incorrect";
const char kChallengeGone[] = "this step has expired or does not exist: start again";
constexpr int kMaxChallengeAttempts = 5;
constexpr int kRecoveryCodes = 10;
constexpr std::string_view kRecoveryAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

std::string hex(const std::string& bytes) { return hex_encode(bytes); }

std::string normalize_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    out += char(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string new_numeric_code() {
  return crypto::random_string(6, "0123456789");
}

// A wrong code on a challenge: counted, and the challenge dropped at the limit (the person
// must start again, with the password for a sign-in).
Status count_challenge_failure(store::Transaction& tx, const std::string& challenge_hash, int64_t attempts_before) {
  int64_t attempts = attempts_before + 1;
  auto r = attempts >= kMaxChallengeAttempts
               ? tx.exec("DELETE FROM challenges WHERE challenge_hash = ?", {store::Blob{challenge_hash}})
               : tx.exec("UPDATE challenges SET attempts = ? WHERE challenge_hash = ?", {attempts, store::Blob{challenge_hash}});
  return r.status();
}

}  // namespace

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
      hasher_(options.password_cost),
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
        "ON CONFLICT (throttle_key) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at",
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

Result<NewSession> Accounts::create_session(store::Transaction& tx, const std::string& account_id, SessionKind kind,
                                            const ClientInfo& client, const std::string& now) {
  NewSession s;
  s.token = crypto::random_token(32);
  s.session_id = crypto::random_token(12);
  s.account_id = account_id;
  s.expires_at = format_instant(clock_.now() + options_.session_absolute);
  store::Value csrf(nullptr);
  if (kind == SessionKind::kCookie) {
    s.csrf_token = crypto::random_token(24);
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
  Status outcome = invalid;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
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
      // Acting for a child: only while the representation lasts (it ends at 18).
      auto live = represents(tx, p.space_id, r.text(10));
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
  return p;
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

// ---- operators ---------------------------------------------------------------------------------

Result<std::string> Accounts::create_operator(const std::string& login_text, const std::string& password) {
  auto login = normalize_login(login_text);
  if (!login.is_ok()) return login.status();
  std::string local = login->substr(0, login->find('@'));
  CARNET_RETURN_IF_ERROR(check_password(password, {local}));
  auto hash = hasher_.hash(password);
  if (!hash.is_ok()) return hash.status();
  std::string secret = crypto::random_bytes(crypto::kTotpSecretBytes);
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
    store::SpaceKeys keys(ring_);
    for (const auto& [id, role] : ids) {
      auto row = tx.query_one("SELECT state, identity FROM spaces WHERE space_id = ?", {id});
      if (!row.is_ok()) return row.status();
      if (!*row) continue;
      SpaceSummary summary{id, role, "", (*row)->text(0)};
      auto key = keys.get(tx, id);
      if (key.is_ok() && !(*row)->is_null(1)) {
        auto plain = crypto::open(*key, (*row)->text(1), "carnet.space-identity.v1:" + id);
        if (plain.is_ok()) {
          auto names = nlohmann::json::parse(*plain).value("first_names", std::vector<std::string>{});
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

Status Accounts::switch_space(const Principal& who, const std::string& space_id) {
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    if (space_id != who.space_id) {
      auto live = represents(tx, who.space_id, space_id);
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
    auto names = nlohmann::json::parse(*plain).value("first_names", std::vector<std::string>{});
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

// ---- activation ------------------------------------------------------------------------------

Result<ActivationStarted> Accounts::start_activation(const ActivationRequest& req) {
  auto login = normalize_login(req.login);
  if (!login.is_ok()) return login.status();
  if (req.second_factor != "totp" && req.second_factor != "email" && req.second_factor != "sms") {
    return Status::invalid("second_factor must be totp, email or sms");
  }
  std::string now = format_instant(clock_.now());
  std::string login_hash = ring_.lookup_hash("login", *login);
  VerifiedClaim v;
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    v = VerifiedClaim{};
    CARNET_RETURN_IF_ERROR(verify_claim(tx, ring_, req.claim, now, v, outcome));
    if (!outcome.is_ok()) return Status::ok();
    if (v.state != "notified" && v.state != "open") {
      outcome = Status::unauthenticated("the social security number, birth date and code do not match");
      return Status::ok();
    }
    if (v.minor) {
      outcome = Status::forbidden("a minor's space is managed by their legal representatives until they are 18: "
                                  "a representative signs in to their own space and switches to the child's");
      return Status::ok();
    }
    auto taken = tx.query_one("SELECT 1 FROM accounts WHERE login_hash = ?", {store::Blob{login_hash}});
    if (!taken.is_ok()) return taken.status();
    if (*taken) outcome = Status::conflict("this login is already used by another account");
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;

  auto identity = nlohmann::json::parse(v.identity_json);
  std::vector<std::string> names = identity.value("first_names", std::vector<std::string>{});
  names.push_back(identity.value("birth_name", ""));
  std::vector<std::string_view> personal(names.begin(), names.end());
  std::string local = login->substr(0, login->find('@'));
  personal.push_back(local);
  CARNET_RETURN_IF_ERROR(check_password(req.password, personal));
  std::string phone = identity.value("mobile", "");
  if (req.second_factor == "sms" && phone.empty()) {
    return Status::invalid("no mobile number is known for this space: choose totp or email");
  }
  auto password_hash = hasher_.hash(req.password);
  if (!password_hash.is_ok()) return password_hash.status();

  return start_factor_enrolment(v.space_id, *login, *password_hash, req.second_factor, phone, "");
}

// The second half of any activation: a pending challenge holding the choices (sealed), and
// either a TOTP secret to scan or a code sent to confirm the chosen factor.
Result<ActivationStarted> Accounts::start_factor_enrolment(const std::string& space_id, const std::string& login,
                                                           const std::string& password_hash,
                                                           const std::string& second_factor, const std::string& phone,
                                                           const std::string& idnatps) {
  std::string now = format_instant(clock_.now());
  ActivationStarted started;
  started.activation_id = crypto::random_token(24);
  started.second_factor = second_factor;
  std::string challenge_hash = ring_.lookup_hash("challenge", started.activation_id);
  nlohmann::json payload = {{"space_id", space_id},
                            {"idnatps", idnatps},
                            {"login", login},
                            {"password_hash", password_hash},
                            {"factor", second_factor}};
  std::string otp;
  if (second_factor == "totp") {
    std::string secret = crypto::random_bytes(crypto::kTotpSecretBytes);
    payload["secret"] = base64_encode(secret);
    started.otpauth_uri = crypto::otpauth_uri("Carnet", login, secret);
    auto svg = qr_svg(started.otpauth_uri, "QR code à scanner avec votre application d'authentification");
    if (!svg.is_ok()) return svg.status();
    started.qr_svg = *svg;
  } else {
    payload["destination"] = second_factor == "sms" ? phone : login;
    otp = new_numeric_code();
  }
  std::string sealed = crypto::seal(sealing_key_, payload.dump(), "carnet.challenge.v1:" + hex(challenge_hash));
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    store::Value otp_hash = otp.empty() ? store::Value(nullptr)
                                        : store::Value(store::Blob{ring_.lookup_hash("otp", started.activation_id + ":" + otp)});
    store::Value space = space_id.empty() ? store::Value(nullptr) : store::Value(space_id);
    auto ins = tx.exec(
        "INSERT INTO challenges (challenge_hash, purpose, space_id, payload, otp_hash, created_at, expires_at) "
        "VALUES (?, 'activation', ?, ?, ?, ?, ?)",
        {store::Blob{challenge_hash}, space, store::Blob{sealed}, otp_hash, now,
         format_instant(clock_.now() + options_.challenge_ttl)});
    if (!ins.is_ok()) return ins.status();
    if (!otp.empty()) return send_code(tx, second_factor, payload["destination"].get<std::string>(), otp, now);
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return started;
}

// ---- professionals -------------------------------------------------------------------------------

namespace {

// The directory's e-mail addresses for a professional (their roles' and workplaces' telecom),
// lower-cased; empty when the IdNatPs is not an active practitioner.
Result<std::vector<std::string>> directory_emails(store::Transaction& tx, const crypto::KeyRing& ring, const Clock& clock,
                                                  const std::string& idnatps, bool* active) {
  *active = false;
  std::vector<std::string> emails;
  fhir::ResourceStore resources(ring, clock);
  auto practitioner = resources.read(tx, fhir::kDirectoryCompartment, "Practitioner", practitioner_id(idnatps));
  if (!practitioner.is_ok()) {
    if (practitioner.status().code() == ErrorCode::kNotFound || practitioner.status().code() == ErrorCode::kGone) return emails;
    return practitioner.status();
  }
  *active = nlohmann::json::parse(practitioner->json).value("active", false);
  std::vector<std::string> role_ids;
  CARNET_RETURN_IF_ERROR(tx.query_each(
      "SELECT resource_id FROM directory_entries WHERE resource_type = 'PractitionerRole' AND active = 1 AND "
      "natural_key LIKE ?",
      {idnatps + "|%"}, [&](const store::Row& r) {
        role_ids.push_back(r.text(0));
        return Status::ok();
      }));
  for (const auto& id : role_ids) {
    auto role = resources.read(tx, fhir::kDirectoryCompartment, "PractitionerRole", id);
    if (!role.is_ok()) continue;
    for (const auto& t : nlohmann::json::parse(role->json).value("telecom", nlohmann::json::array())) {
      if (t.value("system", "") == "email") {
        auto e = normalize_email(t.value("value", ""));
        if (e.is_ok()) emails.push_back(*e);
      }
    }
  }
  return emails;
}

}  // namespace

Status Accounts::invite_professional(const std::string& idnatps, const std::string& email_text) {
  auto email = normalize_email(email_text);
  if (!email.is_ok()) return email.status();
  std::string now = format_instant(clock_.now());
  std::string token = crypto::random_token(24);
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    bool active = false;
    auto emails = directory_emails(tx, ring_, clock_, idnatps, &active);
    if (!emails.is_ok()) return emails.status();
    if (!active) {
      outcome = Status::not_found("no active practitioner with IdNatPs " + idnatps.substr(0, 20) + " in the directory");
      return Status::ok();
    }
    auto taken = tx.query_one("SELECT 1 FROM accounts WHERE idnatps = ?", {idnatps});
    if (!taken.is_ok()) return taken.status();
    if (*taken) {
      outcome = Status::conflict("this professional already has an account");
      return Status::ok();
    }
    auto ins = tx.exec("INSERT INTO invitations (token_hash, idnatps, email_sealed, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                       {store::Blob{ring_.lookup_hash("invitation", token)}, idnatps,
                        store::Blob{crypto::seal(sealing_key_, *email, "carnet.invitation.v1:" + idnatps)}, now,
                        format_instant(clock_.now() + std::chrono::days(7))});
    if (!ins.is_ok()) return ins.status();
    notify::Notice n;
    n.channel = notify::Channel::kEmail;
    n.recipient = *email;
    n.template_id = "professional_invitation";
    n.params = {{"invitation", token}};
    return notify::Outbox(ring_).enqueue(tx, n, now);
  });
  if (!s.is_ok()) return s;
  return outcome;
}

Status Accounts::request_professional_invitation(const std::string& idnatps, const std::string& email_text) {
  auto email = normalize_email(email_text);
  if (!email.is_ok()) return email.status();
  bool listed = false;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    bool active = false;
    auto emails = directory_emails(tx, ring_, clock_, idnatps, &active);
    if (!emails.is_ok()) return emails.status();
    listed = active && std::find(emails->begin(), emails->end(), *email) != emails->end();
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (!listed) {
    log::info("professional_invitation_refused", {{"reason", "e-mail not listed in the directory"}});
    return Status::ok();  // same answer: the directory's content is not revealed
  }
  Status sent = invite_professional(idnatps, *email);
  return sent.code() == ErrorCode::kConflict ? Status::ok() : sent;
}

Result<ActivationStarted> Accounts::start_professional_activation(const std::string& invitation, const std::string& password,
                                                                  const std::string& second_factor) {
  if (second_factor != "totp" && second_factor != "email") return Status::invalid("second_factor must be totp or email");
  std::string now = format_instant(clock_.now());
  std::string idnatps, email;
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    auto row = tx.query_one("SELECT idnatps, email_sealed FROM invitations WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                            {store::Blob{ring_.lookup_hash("invitation", invitation)}, now});
    if (!row.is_ok()) return row.status();
    if (!*row) {
      outcome = Status::unauthenticated("this invitation is unknown, used or expired");
      return Status::ok();
    }
    idnatps = (*row)->text(0);
    auto plain = crypto::open(sealing_key_, (*row)->text(1), "carnet.invitation.v1:" + idnatps);
    if (!plain.is_ok()) return plain.status();
    email = *plain;
    auto taken = tx.query_one("SELECT 1 FROM accounts WHERE idnatps = ? OR login_hash = ?",
                              {idnatps, store::Blob{ring_.lookup_hash("login", email)}});
    if (!taken.is_ok()) return taken.status();
    if (*taken) outcome = Status::conflict("this professional or this login already has an account");
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;
  CARNET_RETURN_IF_ERROR(check_password(password, {email.substr(0, email.find('@'))}));
  auto hash = hasher_.hash(password);
  if (!hash.is_ok()) return hash.status();
  return start_factor_enrolment("", email, *hash, second_factor, "", idnatps);
}

Result<Activated> Accounts::confirm_activation(const std::string& activation_id, const std::string& code,
                                               SessionKind kind, const ClientInfo& client) {
  auto now_tp = clock_.now();
  std::string now = format_instant(now_tp);
  std::string challenge_hash = ring_.lookup_hash("challenge", activation_id);
  Activated result;
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    result = Activated{};
    outcome = Status::ok();
    auto row = tx.query_one(
        "SELECT payload, otp_hash, attempts FROM challenges WHERE challenge_hash = ? AND purpose = 'activation' "
        "AND expires_at > ?",
        {store::Blob{challenge_hash}, now});
    if (!row.is_ok()) return row.status();
    if (!*row) {
      outcome = Status::unauthenticated(kChallengeGone);
      return Status::ok();
    }
    auto plain = crypto::open(sealing_key_, (*row)->text(0), "carnet.challenge.v1:" + hex(challenge_hash));
    if (!plain.is_ok()) return plain.status();
    auto payload = nlohmann::json::parse(*plain);
    std::string factor = payload["factor"];
    bool ok = false;
    uint64_t step = 0;
    std::string secret;
    if (factor == "totp") {
      secret = *base64_decode(payload["secret"].get<std::string>());
      auto m = crypto::totp_match(secret, code, duration_cast<seconds>(now_tp.time_since_epoch()).count());
      ok = m.has_value();
      step = m.value_or(0);
    } else {
      ok = crypto::constant_time_equal(ring_.lookup_hash("otp", activation_id + ":" + code), (*row)->text(1));
    }
    if (!ok) {
      CARNET_RETURN_IF_ERROR(count_challenge_failure(tx, challenge_hash, (*row)->integer(2)));
      outcome = Status::unauthenticated(kBadCode);
      return Status::ok();
    }
    std::string space_id = payload["space_id"];
    std::string idnatps = payload.value("idnatps", "");
    std::string login = payload["login"];
    bool professional = !idnatps.empty();
    if (!professional) {
      auto space = tx.query_one("SELECT state, code_hash FROM spaces WHERE space_id = ?", {space_id});
      if (!space.is_ok()) return space.status();
      if (!*space || (*space)->is_null(1) || ((*space)->text(0) != "notified" && (*space)->text(0) != "open")) {
        outcome = Status::conflict("this space can no longer be activated");
        return Status::ok();
      }
    }
    auto taken = tx.query_one("SELECT 1 FROM accounts WHERE login_hash = ? OR space_id = ? OR idnatps = ?",
                              {store::Blob{ring_.lookup_hash("login", login)}, space_id, idnatps});
    if (!taken.is_ok()) return taken.status();
    if (*taken) {
      outcome = Status::conflict("this space is already activated, or this login is already used");
      return Status::ok();
    }
    std::string account_id = crypto::random_uuid();
    store::Value factor_sealed(nullptr);
    if (factor == "totp") {
      factor_sealed = store::Blob{crypto::seal(sealing_key_, secret, "carnet.factor.v1:" + account_id)};
    } else if (factor == "sms") {
      factor_sealed = store::Blob{crypto::seal(sealing_key_, payload["destination"].get<std::string>(),
                                               "carnet.factor.v1:" + account_id)};
    }
    auto ins = tx.exec(
        "INSERT INTO accounts (account_id, kind, login_hash, login_sealed, password_hash, second_factor, "
        "factor_sealed, totp_last_step, space_id, idnatps, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {account_id, std::string(professional ? "professional" : "holder"), store::Blob{ring_.lookup_hash("login", login)},
         store::Blob{crypto::seal(sealing_key_, login, "carnet.login.v1:" + account_id)},
         payload["password_hash"].get<std::string>(), factor, factor_sealed, int64_t(step),
         professional ? store::Value(nullptr) : store::Value(space_id),
         professional ? store::Value(idnatps) : store::Value(nullptr), now});
    if (!ins.is_ok()) return ins.status();
    if (professional) {
      auto used = tx.exec("UPDATE invitations SET used_at = ? WHERE idnatps = ? AND used_at IS NULL", {now, idnatps});
      if (!used.is_ok()) return used.status();
    }
    for (int i = 0; i < kRecoveryCodes; ++i) {
      std::string raw = crypto::random_string(10, kRecoveryAlphabet);
      std::string shown = raw.substr(0, 5) + "-" + raw.substr(5);
      auto rc = tx.exec("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)",
                        {account_id, store::Blob{ring_.lookup_hash("recovery", account_id + ":" + raw)}});
      if (!rc.is_ok()) return rc.status();
      result.recovery_codes.push_back(shown);
    }
    if (!professional) {
      auto upd = tx.exec(
          "UPDATE spaces SET state = 'open', activated_at = ?, state_changed_at = ?, code_hash = NULL, "
          "code_expires_at = NULL WHERE space_id = ?",
          {now, now, space_id});
      if (!upd.is_ok()) return upd.status();
    }
    auto del = tx.exec("DELETE FROM challenges WHERE challenge_hash = ?", {store::Blob{challenge_hash}});
    if (!del.is_ok()) return del.status();
    auto session = create_session(tx, account_id, kind, client, now);
    if (!session.is_ok()) return session.status();
    result.session = *session;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;
  log::info("space_activated", {{"account_id", result.session.account_id}});
  return result;
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
  crypto::PasswordCheck check = hasher_.verify_and_upgrade(account_id.empty() ? dummy_hash_ : stored_hash, password);
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
