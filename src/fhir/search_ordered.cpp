// The ordered plan of a search (search_sql.h): one criterion's index range leads, read in
// (at, id) order, and the other criteria are looked up on each candidate.
#include <algorithm>

#include "fhir/search_params.h"
#include "fhir/search_sql.h"

namespace carnet::fhir::search_sql {
namespace {

bool broad_param(std::string_view name) {
  for (std::string_view b : {"status", "category", "clinical-status", "verification-status", "intent", "gender", "active"}) {
    if (name == b) return true;
  }
  return false;
}

// How many index entries a criterion leading the search may read per match, roughly (lower
// leads); -1: it cannot lead.
int lead_rank(const SearchQuery::Criterion& c, std::string_view compartment) {
  const SearchParam& p = *c.param;
  if (!positive(c) || (p.kind != ParamKind::kToken && p.kind != ParamKind::kReference)) return -1;
  int rank = (c.values.size() == 1 ? 0 : 4) + (broad_param(p.name) ? 2 : 0);
  if (p.kind == ParamKind::kReference) {
    // The space's own patient is named by nearly every resource: the resources lead instead.
    for (const auto& v : c.values) {
      if (v == compartment || (v.size() > compartment.size() && v.ends_with(compartment) &&
                               v[v.size() - compartment.size() - 1] == '/')) {
        return -1;
      }
    }
    rank += 1;
  }
  return rank;
}

// `patient=` the space's own patient, exactly: settled by the candidate's resources row
// (names_holder, kept on write from the same index entries) without a look-up, but for
// resources last written before that column (NULL), still looked up.
bool names_holder(const SearchQuery::Criterion& c, std::string_view compartment) {
  const SearchParam& p = *c.param;
  if (p.name != "patient" || p.kind != ParamKind::kReference || !c.modifier.empty() || c.values.size() != 1) {
    return false;
  }
  const std::string& v = c.values[0];
  return v == "Patient/" + std::string(compartment) || (v == compartment && p.target == "Patient");
}

// The upper bound a criterion on the primary date puts on `at` (the earliest start of that
// date): a match has a value starting before it. Lower bounds do not carry over (a Period
// that started long ago may still match `ge`).
std::optional<int64_t> time_bound(const SearchQuery::Criterion& c) {
  if (c.values.size() != 1 || !c.modifier.empty()) return std::nullopt;
  auto d = parse_date_value(c.param->name, c.values[0]);
  if (!d.is_ok()) return std::nullopt;
  if (d->prefix == "eq" || d->prefix == "ap" || d->prefix == "le") return d->range.high;
  if (d->prefix == "lt" || d->prefix == "eb") return d->range.low;
  return std::nullopt;
}

const SearchParam kTimeKey{"_at", ParamKind::kDate, ""};
const SearchParam kUpdatedKey{"_lastUpdated", ParamKind::kLastUpdated, ""};

}  // namespace

Result<OrderedPlan> ordered_plan(const SearchIndex& index, std::string_view compartment, const SearchQuery& q,
                                 Order order, bool lateral) {
  const SearchQuery::Criterion* lead = nullptr;
  int best = -1;
  for (const auto& c : q.criteria) {
    int rank = order.by_update ? -1 : lead_rank(c, compartment);
    if (rank >= 0 && (best < 0 || rank < best)) best = rank, lead = &c;
  }
  OrderedPlan plan;
  std::vector<store::Value>& params = plan.params;
  if (lead) {
    auto cond = value_condition(index, *lead, "d");
    if (!cond.is_ok()) return cond.status();
    // The index range leads (SQLite keeps a CROSS JOIN's written order), and each of its rows
    // finds its resource by the whole key. PostgreSQL is made to: without statistics (a new
    // or fast-growing store) its estimates of one row everywhere made it rescan the space's
    // resources for every index row and filter them by id (a date range in a space of 3,000
    // readings: 11 s instead of 8 ms); a LATERAL sub-select limited to one row is planned
    // on its own, by its key.
    std::string resource = lateral
                               ? " CROSS JOIN LATERAL (SELECT * FROM resources k WHERE k.compartment = d.compartment "
                                 "AND k.resource_type = d.resource_type AND k.resource_id = d.resource_id LIMIT 1) r"
                               : " CROSS JOIN resources r";
    plan.from_where = std::string(" FROM ") + index_table(lead->param->kind) + " d" + resource +
                      " WHERE d.compartment = ? AND d.resource_type = ? AND d.param = ? AND (" + cond->sql + ")";
    if (!lateral) {
      plan.from_where +=
          " AND r.compartment = d.compartment AND r.resource_type = d.resource_type AND r.resource_id = d.resource_id";
    }
    params = {std::string(compartment), q.type, std::string(indexed_as(*lead->param).name)};
    params.insert(params.end(), cond->params.begin(), cond->params.end());
    plan.key = "d.at", plan.id = "d.resource_id";
  } else {
    plan.from_where = " FROM resources r WHERE r.compartment = ? AND r.resource_type = ?";
    params = {std::string(compartment), q.type};
    plan.key = order.by_update ? "r.last_updated" : "r.at", plan.id = "r.resource_id";
  }
  plan.from_where += " AND r.deleted = 0";
  const SearchParam* primary = primary_date_param(q.type);
  for (const auto& c : q.criteria) {
    if (&c == lead) continue;
    const SearchParam& p = *c.param;
    // On the primary date, `at` (the earliest start of its values) settles some criteria
    // without a look-up: `lt` exactly (some value starts before the bound: the earliest
    // does), and `ge` for every resource whose earliest start is at or after the bound (each
    // of its values lies above it); the others are looked up.
    std::string shortcut;
    if (c.param == primary && !order.by_update) {
      if (auto bound = time_bound(c)) {
        plan.from_where += " AND " + plan.key + " < ?";
        params.push_back(*bound);
      }
      if (c.values.size() == 1 && c.modifier.empty()) {
        auto d = parse_date_value(c.param->name, c.values[0]);
        if (d.is_ok() && d->prefix == "lt") {
          plan.from_where += " AND " + plan.key + " > ?";  // has a value (kNoTime: none)
          params.push_back(kNoTime);
          continue;
        }
        if (d.is_ok() && d->prefix == "ge") {
          shortcut = plan.key + " >= ? OR ";
          params.push_back(d->range.low);
        }
      }
    }
    // Tokens and references are checked on the candidate's index keys (their tables have no
    // index by resource), dates by a look-up in their index by resource.
    std::vector<store::Value> probe_params;
    const bool on_keys = p.kind == ParamKind::kToken || p.kind == ParamKind::kReference;
    const IndexColumns x = on_keys ? IndexColumns::key_element("x", p.kind) : IndexColumns("x");
    const std::string owner = on_keys ? "k" : "x";  // the row keyed by the candidate's resource
    const std::string from = on_keys ? "index_keys k, " + keys_elements("x", p.kind, lateral)
                                     : std::string(index_table(p.kind)) + " x";
    std::string probe = "SELECT 1 FROM " + from + " WHERE " + owner + ".compartment = r.compartment AND " + owner +
                        ".resource_type = r.resource_type AND " + owner + ".resource_id = r.resource_id AND " +
                        indexed_param(c, x, probe_params);
    // A probe is a scalar subquery, not EXISTS: PostgreSQL would turn EXISTS into a semi-join,
    // and its generic plan for a prepared statement then hashes the probed index range whole.
    if (c.modifier == "missing") {
      plan.from_where += " AND (" + probe + " LIMIT 1)" + (c.values[0] == "true" ? " IS NULL" : " IS NOT NULL");
      params.insert(params.end(), probe_params.begin(), probe_params.end());
      continue;
    }
    auto cond = value_condition(index, c, x);
    if (!cond.is_ok()) return cond.status();
    if (on_resources_row(p)) {
      plan.from_where += " AND (" + cond->sql + ")";
    } else if (names_holder(c, compartment)) {
      plan.from_where += " AND (r.names_holder = 1 OR (r.names_holder IS NULL AND (" + probe + " AND (" + cond->sql +
                         ") LIMIT 1) IS NOT NULL))";
      params.insert(params.end(), probe_params.begin(), probe_params.end());
    } else {
      plan.from_where += " AND (" + shortcut + "(" + probe + " AND (" + cond->sql + ") LIMIT 1)" +
                         (positive(c) ? " IS NOT NULL)" : " IS NULL)");
      params.insert(params.end(), probe_params.begin(), probe_params.end());
    }
    params.insert(params.end(), cond->params.begin(), cond->params.end());
  }
  for (const auto& f : q.filters) {
    plan.from_where += " AND (" + f.sql + ")";
    params.insert(params.end(), f.params.begin(), f.params.end());
  }
  return plan;
}

std::optional<Order> ordered(const SearchQuery& q) {
  for (const auto& c : q.criteria) {
    if (c.param->kind == ParamKind::kId) return std::nullopt;
  }
  if (q.sort.empty()) return Order{false, true};
  if (q.sort.size() != 1) return std::nullopt;
  if (q.sort[0].param == primary_date_param(q.type)) return Order{false, q.sort[0].descending};
  if (q.sort[0].param->kind == ParamKind::kLastUpdated) return Order{true, q.sort[0].descending};
  return std::nullopt;
}

Status run_ordered(store::Transaction& tx, const OrderedPlan& plan, const SearchQuery& q, Order order,
                   bool with_current, SearchPage& page) {
  bool descending = order.descending;
  std::vector<SearchQuery::SortKey> cursor_keys = {{order.by_update ? &kUpdatedKey : &kTimeKey, descending}};
  Cursor cursor;
  if (!q.cursor.empty()) {
    auto c = decode_cursor(q.cursor, cursor_keys);
    if (!c.is_ok()) return c.status();
    cursor = std::move(*c);
  }
  bool desc = descending != cursor.before;
  std::string sql = "SELECT r.resource_id, r.version, " + plan.key + current_columns(with_current) + plan.from_where;
  std::vector<store::Value> params = plan.params;
  if (!q.cursor.empty()) {
    sql += " AND (" + plan.key + ", " + plan.id + (desc ? ") < (?, ?)" : ") > (?, ?)");
    params.push_back(cursor.keys[0]);
    params.push_back(cursor.keys[1]);
  }
  sql += " ORDER BY " + plan.key + (desc ? " DESC, " : " ASC, ") + plan.id + (desc ? " DESC" : " ASC") + " LIMIT ?";
  const size_t wanted = static_cast<size_t>(q.count) + 1;
  std::vector<store::Row> rows;
  for (int64_t limit = static_cast<int64_t>(wanted);; limit *= 4) {
    params.push_back(limit);
    auto got = tx.query(sql, params);
    if (!got.is_ok()) return got.status();
    params.pop_back();
    size_t fetched = got->size();
    rows.clear();
    for (auto& row : *got) {
      if (rows.empty() || rows.back().text(0) != row.text(0)) rows.push_back(std::move(row));
    }
    if (rows.size() >= wanted || fetched < static_cast<size_t>(limit)) break;
  }
  bool more = rows.size() > static_cast<size_t>(q.count);
  if (more) rows.erase(rows.begin() + q.count, rows.end());
  if (cursor.before) std::reverse(rows.begin(), rows.end());
  keep_matches(rows, with_current ? 3 : 0, page);
  if (!rows.empty()) {
    bool has_next = cursor.before || more;
    bool has_previous = cursor.before ? more : !q.cursor.empty();
    if (has_next) page.next_cursor = encode_cursor(false, rows.back(), 2, 1);
    if (has_previous) page.previous_cursor = encode_cursor(true, rows.front(), 2, 1);
  }
  return Status::ok();
}

}  // namespace carnet::fhir::search_sql
