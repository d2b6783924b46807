// The medical profile's rules (ARCHITECTURE §4), as hooks on the resource store
// (access/hooks.h) and one operation:
//
//  - measurements carry the LOINC code and UCUM unit their kind requires (a weight in metres
//    is refused), within plausible bounds; the organ-donation choice is an answer of HL7 v2
//    table 0316;
//  - every item records who entered it (the professional, or the patient), when the resource
//    does not say;
//  - a new weight or height (re)computes the body-mass index from the latest of each, stored
//    as an Observation derived from them;
//  - Patient/$summary builds an International Patient Summary of what the caller may see.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "access/hooks.h"
#include "access/repository.h"

namespace carnet::profile {

// Checks a profile Observation (valid R4): for the vital signs and glucose Carnet knows
// (LOINC code), the value is a Quantity in an allowed UCUM unit, within plausible bounds; the
// organ-donation choice (LOINC 44788-8) is an answer of HL7 v2 table 0316. Other Observations
// pass. kInvalid naming the element otherwise.
Status check_measurement(const nlohmann::json& observation);

// Registers the hooks of the profile's resources ("*" for who entered an item; Observation
// for measurements and BMI).
void register_profile_hooks(access::HookRegistry& hooks);

// Notes height Observation `id` of `space`, just stored, as the space's latest unless a later
// one is noted (`always`: even then): the one row a new weight's body-mass index reads
// (latest_measures, migration 0025). For the hooks, and for tools that store Observations
// without them (bench/fhir_populate).
Status note_latest_height(store::Transaction& tx, const std::string& space, const std::string& id, bool always);

// Patient/$summary: an IPS-style document Bundle (allergies, problems, medications,
// immunizations, recent results) of what the repository's caller may see in the space of
// `patient` (their own when empty). `base`: the FHIR base URL of fullUrls.
Result<nlohmann::json> patient_summary(access::Repository& repo, std::string_view patient, const std::string& base);

}  // namespace carnet::profile
