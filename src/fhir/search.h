// FHIR search (R4 §3.1.1): parsing the parameters of a search into a query, and running it
// over the search indexes of one compartment, a page at a time. Pages are keyset-based
// (the cursor names the last row seen), so `next`/`previous` links stay valid while
// resources are added or removed, and no search ever reads more index rows than one page
// plus its criteria need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "fhir/search_index.h"
#include "fhir/search_params.h"
#include "store/store.h"

namespace carnet::fhir {

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 200;

struct SearchQuery {
  struct Criterion {
    const SearchParam* param;
    std::string modifier;             // "", "not", "missing", or a type name for references
    std::vector<std::string> values;  // any of them matches (comma-separated in the URL)
  };
  struct SortKey {
    const SearchParam* param;
    bool descending;
  };
  struct Include {
    bool reverse;             // _revinclude
    std::string source_type;  // the type whose reference parameter is followed
    const SearchParam* param;
    std::string target_type;  // optional restriction (Observation:performer:Practitioner)
  };
  enum class Summary { kNone, kCount, kTrue, kText, kData };

  std::string type;
  std::vector<Criterion> criteria;  // all must match
  std::vector<SortKey> sort;
  int count = kDefaultPageSize;
  std::string cursor;  // opaque, from a previous page's link
  Summary summary = Summary::kNone;
  std::vector<std::string> elements;
  bool total = false;  // _total=accurate (also implied by _summary=count)
  std::vector<Include> includes;
  // Parameters as received that shape the result, to rebuild paging links (cursor excluded).
  std::vector<std::pair<std::string, std::string>> echoed;
  // Parameters that were not understood and were ignored (lenient handling).
  std::vector<std::string> ignored;
  // Conditions the caller adds (the access policy's visibility rules), SQL over the row
  // alias r of the resources table; applied to matches, totals and pages alike.
  struct Filter {
    std::string sql;
    std::vector<store::Value> params;
  };
  std::vector<Filter> filters;
};

// `params`: decoded name/value pairs, in order. Unknown parameters are ignored and listed in
// `ignored`, or refused (kInvalid) when `strict`. Bad values are always refused.
Result<SearchQuery> parse_search(std::string_view type, const std::vector<std::pair<std::string, std::string>>& params,
                                 bool strict);

struct SearchPage {
  std::vector<std::pair<std::string, int64_t>> matches;  // id, current version, in order
  // With `with_current`: each match's ResourceStore::current_columns(false), read with it.
  std::vector<store::Row> current;
  std::string next_cursor;                                // empty: no next page
  std::string previous_cursor;                            // empty: no previous page
  std::optional<int64_t> total;
};

struct IncludedRef {
  std::string type, id;
};

class Searcher {
 public:
  explicit Searcher(const SearchIndex& index) : index_(index) {}

  // `with_current`: the page brings its matches' current versions (SearchPage::current).
  Result<SearchPage> run(store::Transaction& tx, std::string_view compartment, const SearchQuery& query,
                         bool with_current = false) const;

  // The resources the page's _include parameters point to (targets, in any compartment the
  // caller then reads from) and those its _revinclude parameters find in this compartment.
  Result<std::vector<IncludedRef>> includes(store::Transaction& tx, std::string_view compartment,
                                            const SearchQuery& query, const SearchPage& page) const;

 private:
  const SearchIndex& index_;
};

}  // namespace carnet::fhir
