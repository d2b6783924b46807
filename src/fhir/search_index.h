// Search indexes (ARCHITECTURE §3): what the search parameters of search_params.h need,
// extracted from a resource when it is written, in three tables keyed by compartment: codes
// (identifier values as keyed hashes), time ranges, and references. Never names or free
// text. Written in the caller's transaction, together with the resource version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::fhir {

// The time of a resource that has none (before year 1): last in a newest-first order.
inline constexpr int64_t kNoTime = -62135596801;

struct IndexEntries {
  struct Token {
    std::string param, system, code;
  };
  struct Date {
    std::string param;
    int64_t low, high;
  };
  struct Reference {
    std::string param, target;  // "Patient/123"
  };
  std::vector<Token> tokens;
  std::vector<Date> dates;
  std::vector<Reference> references;
  // The earliest start of the type's primary date (search_params.h), or kNoTime: the
  // resource's place in a search's default order, kept on its resources row and index rows.
  int64_t at = kNoTime;
};

// "Type/id" from a reference string: relative, absolute (…/Type/id), versioned
// (…/_history/n) forms; empty for contained (#x), urn: and unparseable references.
std::string normalize_reference(std::string_view reference);
// The ids of the Binaries a DocumentReference's attachments name ("Binary/<id>" urls).
std::vector<std::string> attachment_binaries(const nlohmann::json& document_reference);

class SearchIndex {
 public:
  explicit SearchIndex(const crypto::KeyRing& ring) : ring_(ring) {}

  // The index entries of one resource (deduplicated).
  IndexEntries extract(std::string_view type, const nlohmann::json& resource) const;
  // The keyed hash under which an identifier value is indexed and searched.
  std::string hash_identifier(std::string_view value) const;

  // Replaces the entries of a resource by those of its new current version (`replaces`
  // false: a new resource, which has none yet).
  Status write(store::Transaction& tx, std::string_view compartment, std::string_view type, std::string_view id,
               const IndexEntries& entries, bool replaces = true) const;
  // Removes the entries of a deleted resource.
  Status clear(store::Transaction& tx, std::string_view compartment, std::string_view type, std::string_view id) const;

 private:
  const crypto::KeyRing& ring_;
};

}  // namespace carnet::fhir
