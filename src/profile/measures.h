// The measurements Carnet knows (internal to profile/): FHIR R4 vital signs and blood
// glucose, by LOINC code, with their UCUM units and plausible bounds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace carnet::profile {

inline constexpr char kLoinc[] = "http://loinc.org";
inline constexpr char kUcum[] = "http://unitsofmeasure.org";
inline constexpr char kWeight[] = "29463-7";
inline constexpr char kHeight[] = "8302-2";
inline constexpr char kBodyMassIndex[] = "39156-5";

struct Measure {
  const char* code;
  const char* label;
  std::vector<const char*> units;
  double min, max;  // plausible values, in any of the units (checked loosely)
};

// The measure a CodeableConcept codes (LOINC), or null.
const Measure* measure_of(const nlohmann::json& codeable);
// Value in kg (weight) or m (height) of a weight or height Observation; nullopt when unusable.
std::optional<double> si_value(const nlohmann::json& observation, bool weight);
// When an Observation was made: its effective time, else when it was stored.
std::string effective_of(const nlohmann::json& observation);

}  // namespace carnet::profile
