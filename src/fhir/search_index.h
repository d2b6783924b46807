// Search indexes (ARCHITECTURE §3): what the search parameters of search_params.h need,
// extracted from a resource when it is written, in three tables keyed by compartment: codes
// (identifier values as keyed hashes), time ranges, and references. Never names or free
// text. Written in the caller's transaction, together with the resource version.
#pragma once

#include <cstdint>
#include <optional>
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

  // The keys of a resource's token and reference entries, kept in its row of index_keys:
  // with the resources row's `at`, they name its rows of search_tokens and search_references
  // by their whole primary key. JSON, {"t": [[param, code, system], ...], "r": [[param,
  // target], ...]}. Those tables have no index by resource (each one would be a B-tree more
  // to write per row, issue 18): a search checks its other criteria on a candidate's keys
  // (search_ordered.cpp), an include reads its targets there, and an update or a deletion
  // removes exactly the rows they name.
  static std::string keys(const IndexEntries& entries);
  // The entries of a resource before it changes: its time and its keys (none: written
  // before the keys were kept, which migration 28 filled in).
  struct Previous {
    int64_t at = kNoTime;
    std::optional<std::string> keys;
  };

  // Writes the entries of a resource's new current version, after removing those of the
  // version it replaces (`previous`; none for a new resource).
  Status write(store::Transaction& tx, std::string_view compartment, std::string_view type, std::string_view id,
               const IndexEntries& entries, const Previous* previous) const;
  // Removes the entries of a resource's current version (`previous`).
  Status clear(store::Transaction& tx, std::string_view compartment, std::string_view type, std::string_view id,
               const Previous& previous) const;

 private:
  const crypto::KeyRing& ring_;
};

}  // namespace carnet::fhir
