#include "fhir/compartment.h"

#include <nlohmann/json.hpp>

#include "fhir/search_index.h"

namespace carnet::fhir {
namespace {

using json = nlohmann::json;

// The element naming the patient, by type: "subject" or "patient" (always the patient), or an
// element that names a patient among others.
struct Element {
  std::string_view type, element;
  bool only_patients;  // other targets are allowed there
};
constexpr Element kElements[] = {
    {"DocumentReference", "subject", false}, {"List", "subject", false},
    {"AllergyIntolerance", "patient", false}, {"Condition", "subject", false},
    {"Immunization", "patient", false},      {"MedicationStatement", "subject", false},
    {"Observation", "subject", false},       {"Communication", "subject", false},
    {"MedicationRequest", "subject", false}, {"MedicationDispense", "subject", false},
    {"Consent", "patient", false},           {"Binary", "securityContext", true},
};

void add(std::vector<PatientReference>& out, std::string path, const json& ref, bool only_patients) {
  if (!ref.is_object()) return;
  auto r = ref.find("reference");
  if (r == ref.end()) return;
  std::string normalised = r->is_string() ? normalize_reference(r->get<std::string>()) : std::string();
  if (only_patients && normalised.rfind("Patient/", 0) != 0) return;
  out.push_back({std::move(path), std::move(normalised)});
}

}  // namespace

std::vector<PatientReference> patient_references(std::string_view type, const json& resource) {
  std::vector<PatientReference> out;
  if (!resource.is_object()) return out;
  for (const auto& e : kElements) {
    if (e.type != type) continue;
    auto it = resource.find(std::string(e.element));
    if (it != resource.end()) add(out, std::string(type) + "." + std::string(e.element), *it, e.only_patients);
  }
  if (type == "Appointment") {
    auto participants = resource.find("participant");
    if (participants != resource.end() && participants->is_array()) {
      for (size_t i = 0; i < participants->size(); ++i) {
        const json& p = (*participants)[i];
        if (p.is_object() && p.contains("actor")) {
          add(out, "Appointment.participant[" + std::to_string(i) + "].actor", p["actor"], true);
        }
      }
    }
  }
  return out;
}

std::string patient_of(std::string_view type, const json& resource) {
  for (const auto& r : patient_references(type, resource)) {
    if (r.reference.rfind("Patient/", 0) == 0) return r.reference;
  }
  return "";
}

}  // namespace carnet::fhir
