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

// The latest Observation of `code` in the space (by effective date) that the caller may see.
Result<std::optional<fhir::ResourceVersion>> latest(access::Repository& repo, const std::string& space,
                                                    const std::string& code) {
  auto q = fhir::parse_search("Observation", {{"code", std::string(kLoinc) + "|" + code}, {"_sort", "-date"}, {"_count", "1"}},
                              true);
  if (!q.is_ok()) return q.status();
  q->criteria.push_back({fhir::find_search_param("Observation", "status"), "not", {"entered-in-error"}});
  auto found = repo.related_search(space, std::move(*q));
  if (!found.is_ok()) return found.status();
  if (found->matches.empty()) return std::optional<fhir::ResourceVersion>();
  return std::optional<fhir::ResourceVersion>(std::move(found->matches.front()));
}

class ObservationHooks final : public access::ResourceHooks {
 public:
  Status validate(const access::WriteContext&, const json& observation) const override {
    return check_measurement(observation);
  }

  // After a weight or height: the body-mass index from the latest of each.
  Status after_write(access::WriteContext& w, const fhir::ResourceVersion&, const json& obs) const override {
    const Measure* m = measure_of(obs.value("code", json::object()));
    if (!m || (std::string(m->code) != kWeight && std::string(m->code) != kHeight)) return Status::ok();
    auto weight = latest(w.repo, w.space, kWeight);
    if (!weight.is_ok()) return weight.status();
    auto height = latest(w.repo, w.space, kHeight);
    if (!height.is_ok()) return height.status();
    if (!*weight || !*height) return Status::ok();
    json wj = json::parse((*weight)->json, nullptr, false), hj = json::parse((*height)->json, nullptr, false);
    if (!wj.is_object() || !hj.is_object()) return Status::corrupt("a stored measurement is not a resource");
    auto kg = si_value(wj, true);
    auto metres = si_value(hj, false);
    if (!kg || !metres || *metres <= 0.3) return Status::ok();
    double bmi = std::round(*kg / (*metres * *metres) * 10) / 10;
    std::string when = std::max(effective_of(wj), effective_of(hj));
    json out = {
        {"resourceType", "Observation"},
        {"status", "final"},
        {"category", {{{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/observation-category"}, {"code", "vital-signs"}}}}}}},
        {"code", {{"coding", {{{"system", kLoinc}, {"code", kBodyMassIndex}, {"display", "Body mass index (BMI) [Ratio]"}}}},
                  {"text", "Indice de masse corporelle"}}},
        {"subject", {{"reference", "Patient/" + w.space}}},
        {"effectiveDateTime", when},
        {"valueQuantity", {{"value", bmi}, {"unit", "kg/m2"}, {"system", kUcum}, {"code", "kg/m2"}}},
        {"derivedFrom", {{{"reference", "Observation/" + (*weight)->id}}, {{"reference", "Observation/" + (*height)->id}}}},
        {"note", {{{"text", "Calculé par Carnet à partir du dernier poids et de la dernière taille."}}}}};
    // Unchanged inputs: nothing to add.
    auto previous = latest(w.repo, w.space, kBodyMassIndex);
    if (!previous.is_ok()) return previous.status();
    if (*previous) {
      json p = json::parse((*previous)->json, nullptr, false);
      if (p.is_object() && p.value("derivedFrom", json::array()) == out["derivedFrom"]) return Status::ok();
    }
    return w.repo.create_derived(w, "Observation", std::move(out)).status();
  }
};

}  // namespace

void register_profile_hooks(access::HookRegistry& hooks) {
  hooks.add("*", std::make_shared<RecorderHooks>());
  hooks.add("Observation", std::make_shared<ObservationHooks>());
}

}  // namespace carnet::profile
