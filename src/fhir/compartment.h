// Whose record a resource is (R4's Patient compartment definition, for the types Carnet
// stores): the elements that name the patient — subject, patient, an Appointment's
// participants, a Binary's security context.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace carnet::fhir {

struct PatientReference {
  std::string path;       // FHIRPath of the element, e.g. "Observation.subject"
  std::string reference;  // normalised ("Patient/<id>", "Group/<id>"), or "" when not a plain reference
};

// The references of `resource` in the elements of `type` that name whose record it is. An
// element that may also name someone else (an Appointment participant, a Binary's security
// context) contributes only its Patient references. Elements without a `reference` (an
// identifier, a display) are not listed. Never throws, whatever the JSON types.
std::vector<PatientReference> patient_references(std::string_view type, const nlohmann::json& resource);

// The first Patient reference of patient_references(), or "".
std::string patient_of(std::string_view type, const nlohmann::json& resource);

}  // namespace carnet::fhir
