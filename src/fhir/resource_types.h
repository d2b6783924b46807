// The resource types Carnet stores, and where each lives.
#pragma once

#include <string_view>

namespace carnet::fhir {

enum class Placement {
  kSpace,      // a person's space (compartment = space id)
  kDirectory,  // the shared professionals' directory (read-only through the FHIR API)
};

struct ResourceTypeInfo {
  std::string_view name;
  Placement placement;
  bool read_only;  // AuditEvent: written only by the system
};

// nullptr for a type Carnet does not support.
const ResourceTypeInfo* find_resource_type(std::string_view name);

// Every supported type, in a stable order.
const ResourceTypeInfo* resource_types_begin();
const ResourceTypeInfo* resource_types_end();

}  // namespace carnet::fhir
