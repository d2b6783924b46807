// The medical profile's rules around the generic store (internal to the api layer):
// measurements carry the LOINC code and UCUM unit their kind requires (a weight in metres is
// refused), BMI is computed from the latest weight and height, every item records who
// entered it, and Patient/$summary builds an International Patient Summary.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "api/fhir_common.h"

namespace carnet::api::fhir_rest {

// Checks a profile Observation: for the vital signs and glucose Carnet knows (LOINC code),
// the value is a Quantity in an allowed UCUM unit, within plausible bounds; the
// organ-donation choice (LOINC 44788-8) is an answer of HL7 v2 table 0316. Other
// Observations pass. kInvalid naming the element otherwise.
Status check_measurement(const nlohmann::json& observation);

// Fills who entered a profile item when the resource does not say: the professional
// (Practitioner/<id>) or the patient (Patient/<space id>), in the element its type uses.
void stamp_recorder(const Call& call, const Target& target, nlohmann::json& resource);

// After a weight or height (`observation`, as written) was stored: (re)computes the
// body-mass index from the latest of each and stores it as an Observation derived from them.
// No-op for other resources.
Status derive_bmi(store::Transaction& tx, fhir::ResourceStore& resources, const Call& call, const Target& target,
                  const nlohmann::json& observation);

// Patient/$summary: an IPS-style document Bundle of what `call` may see in `target`'s
// record (allergies, problems, medications, immunizations, recent results).
Response patient_summary(store::Store& store, fhir::ResourceStore& resources, const Call& call, const Target& target,
                         const Request& req);

}  // namespace carnet::api::fhir_rest
