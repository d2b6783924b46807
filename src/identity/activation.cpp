// Accounts: activation of holders and professionals, and professional invitations.
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

  auto parsed = fhir::parse_stored(v.identity_json, "space identity");
  if (!parsed.is_ok()) return parsed.status();
  const nlohmann::json& identity = *parsed;
  std::vector<std::string> names = fhir::texts_of(identity, "first_names");
  names.push_back(fhir::text_of(identity, "birth_name"));
  std::vector<std::string_view> personal(names.begin(), names.end());
  std::string local = login->substr(0, login->find('@'));
  personal.push_back(local);
  CARNET_RETURN_IF_ERROR(check_password(req.password, personal));
  std::string phone = fhir::text_of(identity, "mobile");
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
  auto pending = prepare_factor(second_factor, login, phone, started);
  if (!pending.is_ok()) return pending.status();
  const std::string& otp = pending->otp;
  if (second_factor == "totp") {
    payload["secret"] = base64_encode(pending->secret);
  } else {
    payload["destination"] = pending->destination;
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
    if (!otp.empty()) return send_code(tx, second_factor, pending->destination, otp, now);
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (!otp.empty() && code_queued_) code_queued_();
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
  auto entry = fhir::parse_stored(practitioner->json, "directory entry");
  if (!entry.is_ok()) return entry.status();
  auto active_value = entry->find("active");
  *active = active_value != entry->end() && active_value->is_boolean() && active_value->get<bool>();
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
    auto parsed_role = fhir::parse_stored(role->json, "directory entry");
    if (!parsed_role.is_ok()) return parsed_role.status();
    const nlohmann::json& telecom = (*parsed_role).contains("telecom") ? (*parsed_role)["telecom"] : nlohmann::json::array();
    if (!telecom.is_array()) continue;
    for (const auto& t : telecom) {
      if (t.is_object() && t.value("system", nlohmann::json()) == "email" && t.contains("value") && t["value"].is_string()) {
        auto e = normalize_email(fhir::text_of(t, "value"));
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
    auto stored = fhir::parse_stored(*plain, "pending activation");
    if (!stored.is_ok()) return stored.status();
    const nlohmann::json& payload = *stored;
    auto pending = pending_factor_of(payload);
    if (!pending.is_ok()) return pending.status();
    uint64_t step = 0;
    bool ok = pending_factor_matches(*pending, activation_id, (*row)->is_null(1) ? "" : (*row)->text(1), code, step);
    if (!ok) {
      CARNET_RETURN_IF_ERROR(count_challenge_failure(tx, challenge_hash, (*row)->integer(2)));
      outcome = Status::unauthenticated(kBadCode);
      return Status::ok();
    }
    std::string space_id = payload["space_id"];
    std::string idnatps = fhir::text_of(payload, "idnatps");
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
    auto ins = tx.exec(
        "INSERT INTO accounts (account_id, kind, login_hash, login_sealed, password_hash, second_factor, "
        "factor_sealed, totp_last_step, space_id, idnatps, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {account_id, std::string(professional ? "professional" : "holder"), store::Blob{ring_.lookup_hash("login", login)},
         store::Blob{crypto::seal(sealing_key_, login, "carnet.login.v1:" + account_id)},
         payload["password_hash"].get<std::string>(), pending->factor, sealed_factor(*pending, account_id), int64_t(step),
         professional ? store::Value(nullptr) : store::Value(space_id),
         professional ? store::Value(idnatps) : store::Value(nullptr), now});
    if (!ins.is_ok()) return ins.status();
    if (professional) {
      auto used = tx.exec("UPDATE invitations SET used_at = ? WHERE idnatps = ? AND used_at IS NULL", {now, idnatps});
      if (!used.is_ok()) return used.status();
    }
    auto codes = issue_recovery_codes(tx, account_id);
    if (!codes.is_ok()) return codes.status();
    result.recovery_codes = std::move(*codes);
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

}  // namespace carnet::identity
