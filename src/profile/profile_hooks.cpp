#include "profile/measures.h"
#include "profile/profile.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "fhir/search.h"
#include "identity/directory.h"

namespace carnet::profile {
namespace {

using json = nlohmann::json;

// Who entered an item, when the resource does not say: the professional
// (Practitioner/<id>) or the patient (Patient/<space id>), in the element its type uses.
class RecorderHooks final : public access::ResourceHooks {
 public:
  Status before_write(access::WriteContext& w, json& r) const override {
    if (!w.create) return Status::ok();
    const access::Actor& actor = w.repo.actor();
    bool professional = actor.kind == access::ActorKind::kProfessional;
    json who = {{"reference", professional ? "Practitioner/" + identity::practitioner_id(actor.idnatps)
                                           : "Patient/" + w.space}};
    auto set_if_absent = [&](const char* field, bool array) {
      if (!r.contains(field)) r[field] = array ? json::array({who}) : who;
    };
    if (w.type == "AllergyIntolerance" || w.type == "Condition") {
      set_if_absent("recorder", false);
    } else if (w.type == "MedicationStatement") {
      set_if_absent("informationSource", false);
    } else if (w.type == "Observation") {
      set_if_absent("performer", true);
    } else if (w.type == "Immunization") {
      if (!r.contains("recorded")) r["recorded"] = format_instant(w.repo.clock().now());
      if (!r.contains("primarySource")) r["primarySource"] = professional;
      if (!r.contains("performer") && professional) r["performer"] = json::array({{{"actor", who}}});
    } else if (w.type == "DocumentReference") {
      set_if_absent("author", true);
    }
    return Status::ok();
  }
};

// The latest-first search of `code`'s Observations in the space, not entered in error.
Result<fhir::SearchQuery> latest_query(const std::string& code, int count) {
  auto q = fhir::parse_search("Observation", {{"code", std::string(kLoinc) + "|" + code}, {"_sort", "-date"},
                                              {"_count", std::to_string(count)}},
                              true);
  if (!q.is_ok()) return q.status();
  q->criteria.push_back({fhir::find_search_param("Observation", "status"), "not", {"entered-in-error"}});
  return q;
}

// The latest Observation of `code` in the space (by effective date) that the caller may see:
// the first entry of the code's index read newest first (fhir/search.h).
Result<std::optional<fhir::ResourceVersion>> latest(access::Repository& repo, const std::string& space,
                                                    const std::string& code) {
  auto q = latest_query(code, 1);
  if (!q.is_ok()) return q.status();
  auto found = repo.related_search(space, std::move(*q));
  if (!found.is_ok()) return found.status();
  if (found->matches.empty()) return std::optional<fhir::ResourceVersion>();
  return std::optional<fhir::ResourceVersion>(std::move(found->matches.front()));
}

// The latest height of each space is kept on write in latest_measures (migration 0025): a
// row names the height Observation with the latest effective time that is not entered in
// error; no row, the space has none. A new weight reads that one row instead of searching
// the space: the search read index pages that every create writes into, and on PostgreSQL,
// whose serializable transactions watch the pages they read, concurrent weights failed one
// another (a retry per weight at 64 clients, issue 18).
// Read once per transaction (a Bundle of a device's weights asks for each): kept in the
// transaction's memo ("" for none) until a height is noted.
std::string memo_key(const std::string& space) { return "latest_measures:" + space; }
// The noted height as read by this transaction's caller ("version\nlastUpdated\njson"): a
// Bundle of weights reads it once.
std::string height_memo_key(const std::string& space) { return "latest_height:" + space; }
void forget_height(store::Transaction& tx, const std::string& space) {
  tx.memo().erase(memo_key(space));
  tx.memo().erase(height_memo_key(space));
}

store::Condition noted_height_query(const std::string& space) {
  return {"SELECT resource_id FROM latest_measures WHERE compartment = ? AND code = ?", {space, std::string(kHeight)}};
}

Result<std::optional<std::string>> noted_height(access::WriteContext& w) {
  auto& memo = w.repo.tx().memo();
  if (auto it = memo.find(memo_key(w.space)); it != memo.end()) {
    return it->second.empty() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }
  const store::Condition noted = noted_height_query(w.space);
  auto row = w.repo.tx().query_one(noted.sql, noted.params);
  if (!row.is_ok()) return row.status();
  memo[memo_key(w.space)] = *row ? (*row)->text(0) : std::string();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>((*row)->text(0));
}

// After an edit or a deletion that may change which height is the latest: found again in the
// index, whoever may see it (what a weight then reads of it is decided then). `gone`: a
// height being deleted, still in the index.
Status renote_height(access::WriteContext& w, const std::string& gone) {
  auto q = latest_query(kHeight, 2);
  if (!q.is_ok()) return q.status();
  auto ids = w.repo.index_lookup(w.space, *q);
  if (!ids.is_ok()) return ids.status();
  for (const auto& [id, version] : *ids) {
    if (id != gone) return note_latest_height(w.repo.tx(), w.space, id, true);
  }
  forget_height(w.repo.tx(), w.space);
  return w.repo.tx()
      .exec("DELETE FROM latest_measures WHERE compartment = ? AND code = ?", {w.space, std::string(kHeight)})
      .status();
}

// The latest height the caller may see: the noted one, or (hidden from this caller) found by
// a search restricted to what it may see. Not yet read by the transaction, the noted height
// comes with its row in latest_measures, in one statement.
Result<std::optional<fhir::ResourceVersion>> latest_height(access::WriteContext& w) {
  auto& memo = w.repo.tx().memo();
  if (auto noted = memo.find(memo_key(w.space)); noted != memo.end()) {
    if (noted->second.empty()) return std::optional<fhir::ResourceVersion>();
    if (auto it = memo.find(height_memo_key(w.space)); it != memo.end()) {
      const std::string& m = it->second;
      size_t a = m.find('\n'), b = m.find('\n', a + 1);
      return std::optional<fhir::ResourceVersion>(fhir::ResourceVersion{
          "Observation", noted->second, std::stoll(m.substr(0, a)), m.substr(a + 1, b - a - 1), false,
          m.substr(b + 1), w.space});
    }
  }
  auto v = w.repo.related_named_by(w.space, "Observation", noted_height_query(w.space));
  if (v.is_ok()) {
    memo[memo_key(w.space)] = *v ? (*v)->id : std::string();
    if (*v) {
      memo[height_memo_key(w.space)] = std::to_string((*v)->version) + "\n" + (*v)->last_updated + "\n" + (*v)->json;
    }
    return v;
  }
  if (v.status().code() != ErrorCode::kNotFound) return v.status();
  return latest(w.repo, w.space, kHeight);
}

// The body-mass index of a weight and a height, as a derived Observation at `when`.
json bmi_observation(const std::string& space, const json& weight, const std::string& weight_id, const json& height,
                     const std::string& height_id, const std::string& when) {
  auto kg = si_value(weight, true);
  auto metres = si_value(height, false);
  if (!kg || !metres || *metres <= 0.3) return json();
  double bmi = std::round(*kg / (*metres * *metres) * 10) / 10;
  return {
      {"resourceType", "Observation"},
      {"status", "final"},
      {"category", {{{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/observation-category"}, {"code", "vital-signs"}}}}}}},
      {"code", {{"coding", {{{"system", kLoinc}, {"code", kBodyMassIndex}, {"display", "Body mass index (BMI) [Ratio]"}}}},
                {"text", "Indice de masse corporelle"}}},
      {"subject", {{"reference", "Patient/" + space}}},
      {"effectiveDateTime", when},
      {"valueQuantity", {{"value", bmi}, {"unit", "kg/m2"}, {"system", kUcum}, {"code", "kg/m2"}}},
      {"derivedFrom", {{{"reference", "Observation/" + weight_id}}, {{"reference", "Observation/" + height_id}}}},
      {"note", {{{"text", "Calculé par Carnet à partir du poids et de la dernière taille connue."}}}}};
}

class ObservationHooks final : public access::ResourceHooks {
 public:
  Status validate(const access::WriteContext&, const json& observation) const override {
    return check_measurement(observation);
  }

  // A new weight reads the latest height before it is written, so that on a database server
  // the weight's rows and those of its body-mass index go together in a few statements
  // (Transaction::insert_deferred holds rows until the next other statement).
  Status before_write(access::WriteContext& w, json& obs) const override {
    if (!w.create || obs.value("status", "") == "entered-in-error") return Status::ok();
    const Measure* m = measure_of(obs.value("code", json::object()));
    if (!m || std::string(m->code) != kWeight) return Status::ok();
    return latest_height(w).status();
  }

  // A new weight gets its body-mass index, at its time, with the latest height; a new height
  // gives one with the latest weight. Each is one look-up of the latest of the other kind
  // (the noted height, or an index range read from its newest end), so a write costs the
  // same however many readings the space holds; and a weight never reads the other weights,
  // so concurrent weights (a device's upload) do not depend on each other. An edited weight
  // or height keeps the index made when it was new.
  Status after_write(access::WriteContext& w, const fhir::ResourceVersion& v, const json& obs) const override {
    const Measure* m = measure_of(obs.value("code", json::object()));
    bool height = m && std::string(m->code) == kHeight;
    if (!w.create) {
      // An edit may change which height is the latest: of a height, or of the noted one.
      if (height) return renote_height(w, {});
      auto noted = noted_height(w);
      if (!noted.is_ok()) return noted.status();
      return *noted == v.id ? renote_height(w, {}) : Status::ok();
    }
    if (obs.value("status", "") == "entered-in-error") return Status::ok();
    if (!m || (!height && std::string(m->code) != kWeight)) return Status::ok();
    if (height) CARNET_RETURN_IF_ERROR(note_latest_height(w.repo.tx(), w.space, v.id, false));
    auto other = height ? latest(w.repo, w.space, kWeight) : latest_height(w);
    if (!other.is_ok()) return other.status();
    if (!*other) return Status::ok();
    json o = json::parse((*other)->json, nullptr, false);
    if (!o.is_object()) return Status::corrupt("a stored measurement is not a resource");
    json out = !height ? bmi_observation(w.space, obs, v.id, o, (*other)->id, effective_of(obs))
                       : bmi_observation(w.space, o, (*other)->id, obs, v.id, std::max(effective_of(o), effective_of(obs)));
    if (out.is_null()) return Status::ok();
    return w.repo.create_derived(w, "Observation", std::move(out)).status();
  }

  Status on_delete(access::WriteContext& w, const fhir::ResourceVersion& current) const override {
    auto noted = noted_height(w);
    if (!noted.is_ok()) return noted.status();
    return *noted == current.id ? renote_height(w, current.id) : Status::ok();
  }
};

}  // namespace

Status note_latest_height(store::Transaction& tx, const std::string& space, const std::string& id, bool always) {
  forget_height(tx, space);
  std::string sql =
      "INSERT INTO latest_measures (compartment, code, at, resource_id) "
      "SELECT compartment, ?, at, resource_id FROM resources "
      "WHERE compartment = ? AND resource_type = 'Observation' AND resource_id = ? "
      "ON CONFLICT (compartment, code) DO UPDATE SET at = excluded.at, resource_id = excluded.resource_id";
  if (!always) sql += " WHERE excluded.at >= latest_measures.at";
  return tx.exec(sql, {std::string(kHeight), space, id}).status();
}

void register_profile_hooks(access::HookRegistry& hooks) {
  hooks.add("*", std::make_shared<RecorderHooks>());
  hooks.add("Observation", std::make_shared<ObservationHooks>());
}

}  // namespace carnet::profile
