#include "profile/measures.h"
#include "profile/profile.h"
#include "fhir/stored_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace carnet::profile {
namespace {

using json = nlohmann::json;

constexpr char kOrganDonation[] = "44788-8";  // LOINC "Organ donor"
constexpr char kOrganDonorAnswers[] = "http://terminology.hl7.org/CodeSystem/v2-0316";

// FHIR R4 vital signs profiles (units from their required value sets) and blood glucose.
const std::vector<Measure>& measures() {
  static const std::vector<Measure> m = {
      {"29463-7", "poids", {"kg", "g", "[lb_av]"}, 0, 700000},
      {"8302-2", "taille", {"cm", "m", "[in_i]"}, 0, 300},
      {"39156-5", "indice de masse corporelle", {"kg/m2"}, 5, 150},
      {"8867-4", "fréquence cardiaque", {"/min"}, 10, 350},
      {"8480-6", "pression systolique", {"mm[Hg]"}, 30, 350},
      {"8462-4", "pression diastolique", {"mm[Hg]"}, 10, 250},
      {"2339-0", "glycémie", {"mg/dL", "g/L"}, 0, 2000},
      {"2345-7", "glycémie", {"mg/dL", "g/L"}, 0, 2000},
      {"15074-8", "glycémie", {"mmol/L"}, 0, 100},
      {"14749-6", "glycémie", {"mmol/L"}, 0, 100},
  };
  return m;
}

Status check_quantity(const Measure& m, const json& holder, const std::string& where) {
  auto q = holder.find("valueQuantity");
  if (q == holder.end()) {
    // No value yet (a measurement planned, or absent with a reason) is fine; any other kind
    // of value is not.
    for (const auto& [key, value] : holder.items()) {
      if (key.rfind("value", 0) == 0) {
        return Status::invalid(where + "." + key + ": une mesure de " + m.label + " est une quantité avec son unité (valueQuantity)");
      }
    }
    return Status::ok();
  }
  std::string system = fhir::text_of(*q, "system"), code = fhir::text_of(*q, "code");
  std::string allowed;
  for (const char* u : m.units) allowed += std::string(allowed.empty() ? "" : ", ") + u;
  if (system != kUcum || code.empty()) {
    return Status::invalid(where + ".valueQuantity: l'unité doit être donnée en UCUM (system " + kUcum + ", code parmi : " +
                           allowed + ")");
  }
  bool ok = false;
  for (const char* u : m.units) ok = ok || code == u;
  if (!ok) {
    return Status::invalid(where + ".valueQuantity.code: « " + code + " » n'est pas une unité de " + m.label +
                           " (unités acceptées : " + allowed + ")");
  }
  if (!q->contains("value") || !(*q)["value"].is_number()) {
    return Status::invalid(where + ".valueQuantity.value: la valeur est requise");
  }
  double v = (*q)["value"].get<double>();
  if (!std::isfinite(v) || v <= m.min || v > m.max) {
    return Status::invalid(where + ".valueQuantity.value: " + (*q)["value"].dump() + " " + code + " n'est pas une valeur plausible de " +
                           m.label);
  }
  return Status::ok();
}

}  // namespace

const Measure* measure_of(const json& codeable) {
  for (const auto& c : codeable.value("coding", json::array())) {
    if (fhir::text_of(c, "system") != kLoinc) continue;
    for (const auto& m : measures()) {
      if (fhir::text_of(c, "code") == m.code) return &m;
    }
  }
  return nullptr;
}

std::optional<double> si_value(const json& obs, bool weight) {
  const json& q = obs.value("valueQuantity", json::object());
  if (!q.contains("value") || !q["value"].is_number()) return std::nullopt;
  double v = q["value"].get<double>();
  std::string unit = fhir::text_of(q, "code");
  if (weight) {
    if (unit == "kg") return v;
    if (unit == "g") return v / 1000;
    if (unit == "[lb_av]") return v * 0.45359237;
  } else {
    if (unit == "cm") return v / 100;
    if (unit == "m") return v;
    if (unit == "[in_i]") return v * 0.0254;
  }
  return std::nullopt;
}

std::string effective_of(const json& obs) {
  for (const char* key : {"effectiveDateTime", "effectiveInstant"}) {
    if (std::string at = fhir::text_of(obs, key); !at.empty()) return at;
  }
  auto meta = obs.find("meta");
  return meta == obs.end() ? std::string() : fhir::text_of(*meta, "lastUpdated");
}

Status check_measurement(const json& obs) {
  // The organ-donation choice: one of the HL7 v2 "organ donor" answers.
  for (const auto& c : obs.value("code", json::object()).value("coding", json::array())) {
    if (fhir::text_of(c, "system") != kLoinc || fhir::text_of(c, "code") != kOrganDonation) continue;
    const json& v = obs.value("valueCodeableConcept", json::object());
    bool ok = false;
    for (const auto& a : v.value("coding", json::array())) {
      std::string code = fhir::text_of(a, "code");
      ok = ok || (fhir::text_of(a, "system") == kOrganDonorAnswers && std::string_view("YNRPUFI").find(code) != std::string_view::npos &&
                  code.size() == 1);
    }
    if (!ok) {
      return Status::invalid(std::string("Observation.valueCodeableConcept: le choix concernant le don d'organes est un code de ") +
                             kOrganDonorAnswers + " (Y oui, N non, R décision laissée aux proches, P à une personne désignée, U inconnu)");
    }
  }
  const Measure* m = measure_of(obs.value("code", json::object()));
  if (m) {
    CARNET_RETURN_IF_ERROR(check_quantity(*m, obs, "Observation"));
  }
  // Components (blood pressure): each known one in its unit.
  const auto& components = obs.value("component", json::array());
  for (size_t i = 0; i < components.size(); ++i) {
    const Measure* cm = measure_of(components[i].value("code", json::object()));
    if (cm) CARNET_RETURN_IF_ERROR(check_quantity(*cm, components[i], "Observation.component[" + std::to_string(i) + "]"));
  }
  // A blood pressure panel with measurements has both pressures.
  for (const auto& c : obs.value("code", json::object()).value("coding", json::array())) {
    if (fhir::text_of(c, "system") == kLoinc && fhir::text_of(c, "code") == "85354-9" && !components.empty()) {
      bool sys = false, dia = false;
      for (const auto& comp : components) {
        const Measure* cm = measure_of(comp.value("code", json::object()));
        if (cm && std::string(cm->code) == "8480-6") sys = true;
        if (cm && std::string(cm->code) == "8462-4") dia = true;
      }
      if (!sys || !dia) {
        return Status::invalid("Observation.component: une tension artérielle a une pression systolique (8480-6) et diastolique (8462-4)");
      }
    }
  }
  return Status::ok();
}

}  // namespace carnet::profile
