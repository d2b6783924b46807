#include "identity/spaces.h"

#include "fhir/stored_json.h"
#include "fhir/resource_store.h"

#include <nlohmann/json.hpp>

#include "core/log.h"

#include <vector>
#include "crypto/aead.h"
#include "crypto/random.h"
#include "identity/enrolment.h"
#include "identity/nir.h"
#include "notify/outbox.h"
#include "store/space_keys.h"

namespace carnet::identity {
namespace {

const char kNoMatch[] = "the social security number, birth date and code do not match";

}  // namespace

// Addresses a notice with the first contact the person gave (e-mail, mobile, postal address).
void address_notice(notify::Notice& n, const nlohmann::json& identity) {
  std::string email = fhir::text_of(identity, "email"), mobile = fhir::text_of(identity, "mobile");
  auto names = fhir::texts_of(identity, "first_names");
  if (!email.empty()) {
    n.channel = notify::Channel::kEmail;
    n.recipient = email;
  } else if (!mobile.empty()) {
    n.channel = notify::Channel::kSms;
    n.recipient = mobile;
  } else {
    n.channel = notify::Channel::kLetter;
    n.recipient = (names.empty() ? std::string() : names.front() + " ") + fhir::text_of(identity, "birth_name") + "\n" +
                  fhir::text_of(identity, "address");
  }
}

Status notify_holder(store::Transaction& tx, const crypto::KeyRing& ring, std::string_view space_id,
                     std::string_view kind, const std::string& template_id, std::map<std::string, std::string> params,
                     const std::string& now) {
  auto row = tx.query_one(
      "SELECT s.identity, (SELECT p.channel FROM notification_prefs p WHERE p.space_id = s.space_id AND p.kind = ?) "
      "FROM spaces s WHERE s.space_id = ?",
      {std::string(kind), std::string(space_id)});
  if (!row.is_ok()) return row.status();
  if (!*row || (*row)->is_null(0)) return Status::ok();
  std::string channel = (*row)->text(1);
  if (channel == "none") return Status::ok();
  auto key = store::SpaceKeys(ring).get(tx, space_id);
  if (!key.is_ok()) return key.status().code() == ErrorCode::kNotFound ? Status::ok() : key.status();
  auto plain = crypto::open(*key, (*row)->text(0), "carnet.space-identity.v1:" + std::string(space_id));
  if (!plain.is_ok()) return plain.status();
  auto parsed = fhir::parse_stored(*plain, "space identity");
  if (!parsed.is_ok()) return parsed.status();
  const nlohmann::json& identity = *parsed;
  notify::Notice notice;
  notice.space_id = std::string(space_id);
  notice.template_id = template_id;
  auto names = fhir::texts_of(identity, "first_names");
  params["first_name"] = names.empty() ? std::string() : names.front();
  notice.params = std::move(params);
  address_notice(notice, identity);
  std::string email = fhir::text_of(identity, "email"), mobile = fhir::text_of(identity, "mobile");
  if (channel == "sms" && !mobile.empty()) {
    notice.channel = notify::Channel::kSms;
    notice.recipient = mobile;
  } else if (channel == "email" && !email.empty()) {
    notice.channel = notify::Channel::kEmail;
    notice.recipient = email;
  }
  return notify::Outbox(ring).enqueue(tx, notice, now);
}

Status verify_claim(store::Transaction& tx, const crypto::KeyRing& ring, const ProvisionalClaim& claim,
                    const std::string& now, VerifiedClaim& out, Status& outcome) {
  outcome = Status::unauthenticated(kNoMatch);
  auto nir = parse_nir(claim.nir);
  if (!nir.is_ok()) {
    outcome = Status::invalid(nir.status().message());  // a typo in the number: say which
    return Status::ok();
  }
  auto row = tx.query_one(
      "SELECT space_id, state, opposition_deadline, identity, code_hash, code_expires_at, code_failures, adult_on "
      "FROM spaces WHERE ins_hash = ?",
      {store::Blob{ins_lookup_hash(ring, nir->value)}});
  if (!row.is_ok()) return row.status();
  if (!*row) return Status::ok();
  const store::Row& r = **row;
  out.space_id = r.text(0);
  out.state = r.text(1);
  out.deadline = r.text(2);
  out.minor = !r.is_null(7);
  if (r.is_null(3) || r.is_null(4)) return Status::ok();  // erased or code used up: no match
  if (r.integer(6) >= kMaxCodeFailures) {
    outcome = Status::forbidden("too many wrong attempts: this code is locked; ask your health insurance fund for a new one");
    return Status::ok();
  }
  store::SpaceKeys keys(ring);
  auto key = keys.get(tx, out.space_id);
  if (!key.is_ok()) return key.status();
  auto plain = crypto::open(*key, r.text(3), "carnet.space-identity.v1:" + out.space_id);
  if (!plain.is_ok()) return plain.status();
  out.identity_json = *plain;
  auto identity = nlohmann::json::parse(*plain, nullptr, false);
  bool code_ok = crypto::constant_time_equal(provisional_code_hash(ring, out.space_id, claim.code), r.text(4));
  bool date_ok = identity.is_object() && fhir::text_of(identity, "birth_date") == claim.birth_date;
  if (!code_ok || !date_ok) {
    return tx.exec("UPDATE spaces SET code_failures = code_failures + 1 WHERE space_id = ?", {out.space_id}).status();
  }
  if (r.text(5) < now) {
    outcome = Status::conflict("this code expired on " + r.text(5).substr(0, 10) + "; ask your health insurance fund for a new one");
    return Status::ok();
  }
  outcome = Status::ok();
  return Status::ok();
}

Spaces::Spaces(store::Store& store, const crypto::KeyRing& ring, const Clock& clock)
    : store_(store), ring_(ring), clock_(clock) {}

Result<std::string> Spaces::oppose(const ProvisionalClaim& claim) {
  std::string now = format_instant(clock_.now());
  Status outcome;
  VerifiedClaim v;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    v = VerifiedClaim{};
    CARNET_RETURN_IF_ERROR(verify_claim(tx, ring_, claim, now, v, outcome));
    if (!outcome.is_ok()) return Status::ok();  // commit the failure count
    if (v.state != "notified" || v.deadline <= now) {
      outcome = Status::conflict("the opposition period ended on " + v.deadline.substr(0, 10) +
                                 "; you can still close your space after signing in");
      return Status::ok();
    }
    // Confirmation first: the contacts are about to become unreadable.
    auto parsed = fhir::parse_stored(v.identity_json, "space identity");
    if (!parsed.is_ok()) return parsed.status();
    const nlohmann::json& identity = *parsed;
    notify::Notice notice;
    notice.space_id = v.space_id;
    notice.template_id = "opposition_confirmed";
    auto names = fhir::texts_of(identity, "first_names");
    notice.params = {{"first_name", names.empty() ? std::string() : names.front()}, {"date", now.substr(0, 10)}};
    address_notice(notice, identity);
    CARNET_RETURN_IF_ERROR(notify::Outbox(ring_).enqueue(tx, notice, now));
    auto upd = tx.exec(
        "UPDATE spaces SET state = 'opposed', state_changed_at = ?, identity = NULL, code_hash = NULL, "
        "code_expires_at = NULL, adult_on = NULL WHERE space_id = ?",
        {now, v.space_id});
    if (!upd.is_ok()) return upd.status();
    auto reps = tx.exec("DELETE FROM representatives WHERE space_id = ?", {v.space_id});
    if (!reps.is_ok()) return reps.status();
    return store::SpaceKeys(ring_).shred(tx, v.space_id, "opposition", now);
  });
  if (!s.is_ok()) return s;
  if (!outcome.is_ok()) return outcome;
  Status purged = store_.purge_deleted();
  if (!purged.is_ok()) log::warn("purge_after_shred_failed", {{"error", purged.message()}});
  log::info("space_opposed", {{"space_id", v.space_id}});
  return v.space_id;
}

Status Spaces::regenerate_code(const std::string& nir_text, std::chrono::milliseconds validity) {
  auto nir = parse_nir(nir_text);
  if (!nir.is_ok()) return nir.status();
  auto now_tp = clock_.now();
  std::string now = format_instant(now_tp), expires = format_instant(now_tp + validity);
  Status outcome;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcome = Status::ok();
    auto row = tx.query_one(
        "SELECT s.space_id, s.identity, s.adult_on FROM spaces s WHERE s.ins_hash = ? AND s.state IN ('notified', 'open') "
        "AND s.identity IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.space_id = s.space_id)",
        {store::Blob{ins_lookup_hash(ring_, nir->value)}});
    if (!row.is_ok()) return row.status();
    if (!*row) {
      outcome = Status::not_found("no space awaiting activation for this NIR");
      return Status::ok();
    }
    std::string space_id = (*row)->text(0);
    auto key = store::SpaceKeys(ring_).get(tx, space_id);
    if (!key.is_ok()) return key.status();
    auto plain = crypto::open(*key, (*row)->text(1), "carnet.space-identity.v1:" + space_id);
    if (!plain.is_ok()) return plain.status();
    auto parsed = fhir::parse_stored(*plain, "space identity");
    if (!parsed.is_ok()) return parsed.status();
    const nlohmann::json& identity = *parsed;
    std::string code = new_provisional_code();
    auto upd = tx.exec("UPDATE spaces SET code_hash = ?, code_expires_at = ?, code_failures = 0 WHERE space_id = ?",
                       {store::Blob{provisional_code_hash(ring_, space_id, code)}, expires, space_id});
    if (!upd.is_ok()) return upd.status();
    notify::Notice notice;
    notice.space_id = space_id;
    auto names = fhir::texts_of(identity, "first_names");
    notice.template_id = (*row)->is_null(2) ? "new_code" : "new_code_minor";
    notice.params = {{"first_name", names.empty() ? std::string() : names.front()},
                     {"code", code},
                     {"deadline", expires.substr(0, 10)}};
    address_notice(notice, identity);
    return notify::Outbox(ring_).enqueue(tx, notice, now);
  });
  if (!s.is_ok()) return s;
  return outcome;
}

Result<int64_t> Spaces::end_minority(std::chrono::milliseconds validity, int64_t limit) {
  auto now_tp = clock_.now();
  std::string now = format_instant(now_tp);
  std::string today = now.substr(0, 10);
  std::string expires = format_instant(now_tp + validity);
  int64_t changed = 0;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    changed = 0;
    std::vector<std::pair<std::string, std::string>> due;  // space_id, sealed identity
    CARNET_RETURN_IF_ERROR(tx.query_each(
        "SELECT space_id, identity FROM spaces WHERE adult_on IS NOT NULL AND adult_on <= ? AND identity IS NOT NULL "
        "LIMIT ?",
        {today, limit}, [&](const store::Row& r) {
          due.emplace_back(r.text(0), r.text(1));
          return Status::ok();
        }));
    store::SpaceKeys keys(ring_);
    notify::Outbox outbox(ring_);
    for (const auto& [space_id, sealed] : due) {
      auto key = keys.get(tx, space_id);
      if (!key.is_ok()) return key.status();
      auto plain = crypto::open(*key, sealed, "carnet.space-identity.v1:" + space_id);
      if (!plain.is_ok()) return plain.status();
      auto parsed = fhir::parse_stored(*plain, "space identity");
      if (!parsed.is_ok()) return parsed.status();
      const nlohmann::json& identity = *parsed;
      std::string code = new_provisional_code();
      auto upd = tx.exec(
          "UPDATE spaces SET adult_on = NULL, code_hash = ?, code_expires_at = ?, code_failures = 0 WHERE space_id = ?",
          {store::Blob{provisional_code_hash(ring_, space_id, code)}, expires, space_id});
      if (!upd.is_ok()) return upd.status();
      auto reps = tx.exec("UPDATE representatives SET until_date = ? WHERE space_id = ? AND until_date IS NULL",
                          {today, space_id});
      if (!reps.is_ok()) return reps.status();
      notify::Notice notice;
      notice.space_id = space_id;
      auto names = fhir::texts_of(identity, "first_names");
      notice.template_id = "majority_notice";
      notice.params = {{"first_name", names.empty() ? std::string() : names.front()},
                       {"code", code},
                       {"deadline", expires.substr(0, 10)}};
      address_notice(notice, identity);
      CARNET_RETURN_IF_ERROR(outbox.enqueue(tx, notice, now));
      ++changed;
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return changed;
}

Result<int64_t> Spaces::open_expired(int64_t limit) {
  std::string now = format_instant(clock_.now());
  int64_t changed = 0;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto r = tx.exec(
        "UPDATE spaces SET state = 'open', state_changed_at = ? WHERE space_id IN ("
        "SELECT space_id FROM spaces WHERE state = 'notified' AND opposition_deadline <= ? LIMIT ?)",
        {now, now, limit});
    if (!r.is_ok()) return r.status();
    changed = *r;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return changed;
}

Result<Spaces::Statistics> Spaces::statistics() {
  Statistics out;
  const auto now = clock_.now();
  out.at = format_instant(now);
  const std::string month_ago = format_instant(now - std::chrono::hours(24 * 30));
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    out.spaces_by_state.clear();
    CARNET_RETURN_IF_ERROR(tx.query_each("SELECT state, COUNT(*) FROM spaces GROUP BY state", {}, [&](const store::Row& r) {
      out.spaces_by_state[r.text(0)] = r.integer(1);
      return Status::ok();
    }));
    auto counts = tx.query_one(
        "SELECT (SELECT COUNT(*) FROM spaces WHERE activated_at IS NOT NULL), "
        "(SELECT COUNT(*) FROM spaces WHERE activated_at >= ?), "
        "(SELECT COUNT(*) FROM resources WHERE compartment = ? AND resource_type = 'Practitioner' AND deleted = 0), "
        "(SELECT COUNT(*) FROM accounts WHERE kind = 'professional' AND disabled = 0)",
        {month_ago, std::string(fhir::kDirectoryCompartment)});
    if (!counts.is_ok()) return counts.status();
    const store::Row& r = **counts;
    out.activated = r.integer(0);
    out.activated_last_30_days = r.integer(1);
    out.professionals = r.integer(2);
    out.professional_accounts = r.integer(3);
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return out;
}

}  // namespace carnet::identity
