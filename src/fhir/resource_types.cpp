#include "fhir/resource_types.h"

#include <iterator>

namespace carnet::fhir {
namespace {

constexpr ResourceTypeInfo kTypes[] = {
    {"Patient", Placement::kSpace, false},
    {"Practitioner", Placement::kDirectory, true},
    {"PractitionerRole", Placement::kDirectory, true},
    {"Organization", Placement::kDirectory, true},
    {"DocumentReference", Placement::kSpace, false},
    {"Binary", Placement::kSpace, false},
    {"List", Placement::kSpace, false},
    {"AllergyIntolerance", Placement::kSpace, false},
    {"Condition", Placement::kSpace, false},
    {"Immunization", Placement::kSpace, false},
    {"MedicationStatement", Placement::kSpace, false},
    {"Observation", Placement::kSpace, false},
    {"Appointment", Placement::kSpace, false},
    {"Communication", Placement::kSpace, false},
    {"MedicationRequest", Placement::kSpace, false},
    {"MedicationDispense", Placement::kSpace, false},
    {"Consent", Placement::kSpace, false},
    {"AuditEvent", Placement::kSpace, true},
};

}  // namespace

const ResourceTypeInfo* resource_types_begin() { return std::begin(kTypes); }
const ResourceTypeInfo* resource_types_end() { return std::end(kTypes); }

const ResourceTypeInfo* find_resource_type(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace carnet::fhir
