// Internal to fhir/: the SQL of searches (search.cpp) shared with the ordered plan
// (search_ordered.cpp). Not for other modules: they use search.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/datetime.h"
#include "fhir/search.h"
#include "fhir/search_index.h"
#include "store/store.h"

namespace carnet::fhir::search_sql {

// A date parameter's value: its prefix (eq when none) and the range it names.
struct DateValue {
  std::string prefix;
  TimeRange range;
};
Result<DateValue> parse_date_value(std::string_view name, std::string_view v);

// The columns of an index row, as SQL: those of an index table's row (its alias), or those of
// one element of a resource's index keys (SearchIndex::keys), read as JSON.
struct IndexColumns {
  IndexColumns(const std::string& alias)  // NOLINT(google-explicit-constructor): an alias is the usual form
      : param(alias + ".param"), code(alias + ".code"), system(alias + ".system"), target(alias + ".target"),
        low(alias + ".low"), high(alias + ".high") {}
  IndexColumns(const char* alias) : IndexColumns(std::string(alias)) {}  // NOLINT(google-explicit-constructor)
  // An element `alias` of index_keys' tokens or references (keys_elements below).
  static IndexColumns key_element(const std::string& alias, ParamKind kind);
  std::string param, code, system, target, low, high;
};
// The FROM item that lists the token ("t") or reference ("r") entries of the index_keys row k
// as rows `alias` (json_each on SQLite, json_array_elements on PostgreSQL).
std::string keys_elements(const std::string& alias, ParamKind kind, bool postgres);

// One criterion's values, OR'ed, as a condition over the index row `x` (token, date and
// reference parameters) or over the resources row r (_id, _lastUpdated).
Result<SearchQuery::Filter> value_condition(const SearchIndex& index, const SearchQuery::Criterion& c,
                                            const IndexColumns& x);
const char* index_table(ParamKind kind);
// Criteria checked on the resources row itself (_id, _lastUpdated), not in an index table.
bool on_resources_row(const SearchParam& p);
// Not :not nor :missing.
bool positive(const SearchQuery::Criterion& c);
// The condition over the index row alias `x` that names a criterion's rows: its parameter as
// indexed (indexed_as), and for one indexed as another, under :missing (no value to say it),
// only the rows of its target type. Appends its parameters.
std::string indexed_param(const SearchQuery::Criterion& c, const IndexColumns& x, std::vector<store::Value>& params);

// A page cursor: which side of the page it points to, and the keys of the row it starts at.
struct Cursor {
  bool before = false;
  std::vector<store::Value> keys;  // one per sort key, then the id
};
Result<Cursor> decode_cursor(const std::string& text, const std::vector<SearchQuery::SortKey>& sort);
// The cursor of `row` (its id in column 0, its `nkeys` sort keys from `first_key`).
std::string encode_cursor(bool before, const store::Row& row, size_t first_key, size_t nkeys);

// The columns a page's statement reads after its own when it brings the matches' current
// versions (empty: it does not), and the page's matches from its rows (those columns start
// at `current_from`, 0 when absent).
std::string current_columns(bool with_current);
void keep_matches(const std::vector<store::Row>& rows, size_t current_from, SearchPage& page);

// The ordered plan (issue 18). When a search is ordered by the resources' time (the default,
// newest first, or _sort=[-]<the type's primary date>), one criterion leads: its index range,
// read in (at, id) order, names the candidates, and the other criteria are checked on each
// candidate (on its index keys, or a date in its index by resource). A page then reads about a page of index
// entries, however full the space. Without a criterion fit to lead, the resources' own
// (at, id) index leads.
struct OrderedPlan {
  std::string from_where;  // " FROM ... WHERE ...", without the cursor
  std::vector<store::Value> params;
  std::string key, id;  // the order's columns
};

// How a search is ordered when an ordered plan serves it: by the resources' time (their
// index rows carry it) or by _lastUpdated (the resources' index only).
struct Order {
  bool by_update;
  bool descending;
};

// The plan of a search in that order (`lateral`: Transaction::lateral_joins(), PostgreSQL's
// SQL).
Result<OrderedPlan> ordered_plan(const SearchIndex& index, std::string_view compartment, const SearchQuery& q,
                                 Order order, bool lateral);
// The order of a search an ordered plan serves; nullopt for the general plan (a few ids, or
// sorted by several keys or a secondary date).
std::optional<Order> ordered(const SearchQuery& q);
// One page of an ordered plan. Rows of one resource come together (same time, same id) when
// the leading criterion matches it twice (a code in two systems): they count once.
Status run_ordered(store::Transaction& tx, const OrderedPlan& plan, const SearchQuery& q, Order order,
                   bool with_current, SearchPage& page);

}  // namespace carnet::fhir::search_sql
