#include "fhir/search.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "fhir/datetime.h"
#include "fhir/resource_store.h"
#include "fhir/resource_types.h"
#include "fhir/search_sql.h"

namespace carnet::fhir {
namespace search_sql {

using json = nlohmann::json;

constexpr size_t kMaxValues = 50;      // OR'ed values in one parameter
constexpr size_t kMaxCriteria = 30;    // AND'ed parameters
constexpr size_t kMaxValueSize = 512;

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; });
}

std::string clip(std::string_view s) { return std::string(s.substr(0, 80)) + (s.size() > 80 ? "…" : ""); }

// Splits on unescaped `sep` (FHIR escapes \, \| \$ \\), undoing only the escape of `sep`
// itself so that later splits still see theirs; sep '\0' undoes every escape.
std::vector<std::string> split_escaped(std::string_view v, char sep) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      if (sep != '\0' && v[i + 1] != sep) out.back() += '\\';
      out.back() += v[++i];
    } else if (v[i] == sep) {
      out.emplace_back();
    } else {
      out.back() += v[i];
    }
  }
  return out;
}

// The first unescaped '|', or npos.
size_t find_bar(std::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\') {
      ++i;
    } else if (v[i] == '|') {
      return i;
    }
  }
  return std::string_view::npos;
}

Result<DateValue> parse_date_value(std::string_view name, std::string_view v) {
  DateValue d{"eq", {}};
  if (v.size() >= 2 && std::isalpha(static_cast<unsigned char>(v[0])) && std::isalpha(static_cast<unsigned char>(v[1]))) {
    d.prefix = std::string(v.substr(0, 2));
    static constexpr std::string_view kPrefixes[] = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"};
    if (std::find(std::begin(kPrefixes), std::end(kPrefixes), d.prefix) == std::end(kPrefixes)) {
      return Status::invalid("'" + std::string(name) + "': unknown prefix '" + d.prefix +
                             "' (use eq, ne, gt, lt, ge, le, sa, eb or ap)");
    }
    v.remove_prefix(2);
  }
  // An unescaped '+' of a zone offset arrives as a space (form encoding).
  std::string text(v);
  if (size_t sp = text.find(' '); sp != std::string::npos && sp > 10) text[sp] = '+';
  auto r = time_range(text, /*lenient=*/true);
  if (!r) {
    return Status::invalid("'" + std::string(name) + "': '" + clip(v) +
                           "' is not a date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][zone])");
  }
  d.range = *r;
  if (d.prefix == "ap") {  // approximately: 10% of the distance to now, at least a day
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    int64_t margin = std::max<int64_t>(86400, std::abs(now - d.range.low) / 10);
    d.range.low -= margin;
    d.range.high += margin;
  }
  return d;
}

// The condition a stored range [low, high) must meet for a prefix and a search range [pl, ph).
std::string date_condition(const std::string& prefix, const std::string& low, const std::string& high) {
  if (prefix == "eq" || prefix == "ap") return low + " >= ? AND " + high + " <= ?";
  if (prefix == "ne") return "NOT (" + low + " >= ? AND " + high + " <= ?)";
  if (prefix == "gt") return high + " > ?";
  if (prefix == "lt") return low + " < ?";
  if (prefix == "ge") return "(" + high + " > ? OR (" + low + " >= ? AND " + high + " <= ?))";
  if (prefix == "le") return "(" + low + " < ? OR (" + low + " >= ? AND " + high + " <= ?))";
  if (prefix == "sa") return low + " >= ?";
  return high + " <= ?";  // eb
}

template <typename V>
void date_params(const std::string& prefix, const TimeRange& r, V make, std::vector<store::Value>& out) {
  if (prefix == "eq" || prefix == "ap" || prefix == "ne") {
    out.push_back(make(r.low));
    out.push_back(make(r.high));
  } else if (prefix == "gt") {
    out.push_back(make(r.high));
  } else if (prefix == "lt" || prefix == "eb") {
    out.push_back(make(r.low));
  } else if (prefix == "ge") {
    out.push_back(make(r.high));
    out.push_back(make(r.low));
    out.push_back(make(r.high));
  } else if (prefix == "le") {
    out.push_back(make(r.low));
    out.push_back(make(r.low));
    out.push_back(make(r.high));
  } else {  // sa
    out.push_back(make(r.high));
  }
}

Status bad(std::string message) { return Status::invalid(std::move(message)); }

// _include=Observation:performer[:Practitioner]
Result<SearchQuery::Include> parse_include(std::string_view type, bool reverse, std::string_view v) {
  auto parts = split_escaped(v, ':');
  std::string what = reverse ? "_revinclude" : "_include";
  if (parts.size() < 2 || parts.size() > 3) return bad(what + " must be Type:parameter[:TargetType]");
  if (!reverse && parts[0] != type) return bad("_include must start with the searched type " + std::string(type));
  if (!find_resource_type(parts[0])) return bad(what + ": unknown type '" + clip(parts[0]) + "'");
  const SearchParam* p = find_search_param(parts[0], parts[1]);
  if (!p || p->kind != ParamKind::kReference) {
    return bad(what + ": " + parts[0] + " has no reference parameter '" + clip(parts[1]) + "'");
  }
  SearchQuery::Include inc{reverse, parts[0], p, parts.size() == 3 ? parts[2] : std::string()};
  if (!inc.target_type.empty() && !find_resource_type(inc.target_type)) {
    return bad(what + ": unknown target type '" + clip(inc.target_type) + "'");
  }
  return inc;
}

Status parse_criterion(std::string_view type, const std::string& name, const std::string& value, bool strict,
                       SearchQuery& q) {
  size_t colon = name.find(':');
  std::string base = name.substr(0, colon);
  std::string modifier = colon == std::string::npos ? "" : name.substr(colon + 1);
  const SearchParam* p = find_search_param(type, base);
  if (!p) {
    if (strict) return bad("unknown search parameter '" + clip(name) + "' for " + std::string(type));
    q.ignored.push_back(name);
    return Status::ok();
  }
  if (!modifier.empty()) {
    bool ok = modifier == "missing" || (modifier == "not" && p->kind == ParamKind::kToken) ||
              (p->kind == ParamKind::kReference && find_resource_type(modifier) != nullptr);
    if (!ok) return bad("'" + clip(name) + "': modifier ':" + clip(modifier) + "' is not supported");
  }
  if (value.size() > kMaxValueSize) return bad("'" + name + "': value too long");
  SearchQuery::Criterion c{p, modifier, split_escaped(value, ',')};
  if (c.values.size() > kMaxValues) return bad("'" + name + "': at most 50 values");
  if (modifier == "missing") {
    if (value != "true" && value != "false") return bad("'" + name + "' must be true or false");
    if (p->kind == ParamKind::kId || p->kind == ParamKind::kLastUpdated) return bad("':missing' is not supported on " + base);
  }
  for (auto& v : c.values) {
    if (modifier == "missing") break;
    if (v.empty()) return bad("'" + name + "' has an empty value");
    switch (p->kind) {
      case ParamKind::kDate:
      case ParamKind::kLastUpdated: {
        auto d = parse_date_value(name, v);
        if (!d.is_ok()) return d.status();
        break;
      }
      case ParamKind::kId:
        if (!valid_id(v)) return bad("'_id': '" + clip(v) + "' is not a valid id");
        break;
      case ParamKind::kReference: {
        std::string target = v.find('/') == std::string::npos ? std::string() : normalize_reference(v);
        if (v.find('/') != std::string::npos && target.empty()) return bad("'" + name + "': '" + clip(v) + "' is not a reference");
        std::string_view id = target.empty() ? std::string_view(v) : std::string_view(target).substr(target.find('/') + 1);
        if (!valid_id(id)) return bad("'" + name + "': '" + clip(v) + "' is not a valid reference");
        if (!target.empty()) {
          std::string t = target.substr(0, target.find('/'));
          if (!find_resource_type(t)) return bad("'" + name + "': unknown type '" + clip(t) + "'");
          if (!p->target.empty() && t != p->target) return bad("'" + name + "' refers to " + std::string(p->target) + " only");
          v = target;
        }
        break;
      }
      case ParamKind::kToken:
        break;
    }
  }
  if (p->words && modifier.empty()) {
    // Every word of the value must be present: one criterion per word (several values,
    // comma-separated, are alternatives of one word each).
    std::vector<std::vector<std::string>> words;
    for (const auto& v : c.values) words.push_back(index_words(v));
    if (c.values.size() == 1) {
      if (words[0].empty()) return bad("'" + name + "': give at least one word of two letters or more");
      for (auto& w : words[0]) {
        if (q.criteria.size() >= kMaxCriteria) return bad("too many search parameters");
        q.criteria.push_back({p, "", {std::move(w)}});
      }
      return Status::ok();
    }
    c.values.clear();
    for (auto& ws : words) {
      if (ws.size() != 1) return bad("'" + name + "': alternatives (a,b) must be single words");
      c.values.push_back(std::move(ws[0]));
    }
  }
  if (q.criteria.size() >= kMaxCriteria) return bad("too many search parameters");
  q.criteria.push_back(std::move(c));
  return Status::ok();
}

int64_t sentinel(bool descending) { return descending ? kMinTime - 1 : kMaxTime + 1; }

// SQL for one sort key, over the row alias r.
std::string sort_expression(const SearchQuery::SortKey& k, std::vector<store::Value>& params) {
  switch (k.param->kind) {
    case ParamKind::kId: return "r.resource_id";
    case ParamKind::kLastUpdated: return "r.last_updated";
    default:
      params.push_back(std::string(k.param->name));
      params.push_back(sentinel(k.descending));
      return std::string("COALESCE((SELECT ") + (k.descending ? "MAX" : "MIN") +
             "(d.low) FROM search_dates d WHERE d.compartment = r.compartment AND d.resource_type = r.resource_type "
             "AND d.resource_id = r.resource_id AND d.param = ?), ?)";
  }
}

bool sort_is_text(const SearchQuery::SortKey& k) {
  return k.param->kind == ParamKind::kId || k.param->kind == ParamKind::kLastUpdated;
}

Result<Cursor> decode_cursor(const std::string& text, const std::vector<SearchQuery::SortKey>& sort) {
  auto raw = base64_decode(text);
  auto invalid = Status::invalid("_cursor is not a cursor of this search: follow the links of the previous page");
  if (!raw) return invalid;
  auto doc = json::parse(*raw, nullptr, false);
  if (!doc.is_array() || doc.size() != sort.size() + 2 || !doc[0].is_string()) return invalid;
  Cursor c;
  c.before = doc[0] == "b";
  for (size_t i = 0; i < sort.size(); ++i) {
    const auto& v = doc[i + 1];
    if (sort_is_text(sort[i])) {
      if (!v.is_string()) return invalid;
      c.keys.push_back(v.get<std::string>());
    } else {
      if (!v.is_number_integer()) return invalid;
      c.keys.push_back(v.get<int64_t>());
    }
  }
  if (!doc.back().is_string()) return invalid;
  c.keys.push_back(doc.back().get<std::string>());
  return c;
}

std::string encode_cursor(bool before, const store::Row& row, size_t first_key, size_t nkeys) {
  json doc = json::array({before ? "b" : "a"});
  for (size_t i = 0; i < nkeys; ++i) {
    const auto& v = row.value(first_key + i);
    if (std::holds_alternative<int64_t>(v)) {
      doc.push_back(std::get<int64_t>(v));
    } else {
      doc.push_back(row.text(first_key + i));
    }
  }
  doc.push_back(row.text(0));
  return base64url_encode(doc.dump());
}

const char* index_table(ParamKind kind) {
  return kind == ParamKind::kToken ? "search_tokens" : kind == ParamKind::kDate ? "search_dates" : "search_references";
}

// The condition a stored instant t (a point: _lastUpdated) must meet for a prefix and a
// search range [pl, ph), with its parameters.
std::string point_condition(const std::string& prefix, const TimeRange& r, std::vector<store::Value>& out) {
  auto at = [&](int64_t s) { out.push_back(instant_text(s)); };
  if (prefix == "eq" || prefix == "ap" || prefix == "ne") {
    at(r.low);
    at(r.high);
    return prefix == "ne" ? "NOT (r.last_updated >= ? AND r.last_updated < ?)" : "r.last_updated >= ? AND r.last_updated < ?";
  }
  if (prefix == "gt" || prefix == "sa") return at(r.high), "r.last_updated >= ?";
  if (prefix == "ge") return at(r.low), "r.last_updated >= ?";
  if (prefix == "le") return at(r.high), "r.last_updated < ?";
  return at(r.low), "r.last_updated < ?";  // lt, eb
}

IndexColumns IndexColumns::key_element(const std::string& alias, ParamKind kind) {
  IndexColumns out(alias);
  auto at = [&](int i) { return "(" + alias + ".value ->> " + std::to_string(i) + ")"; };
  out.param = at(0);
  if (kind == ParamKind::kToken) {
    out.code = at(1), out.system = at(2);
  } else {
    out.target = at(1);
  }
  return out;
}

std::string keys_elements(const std::string& alias, ParamKind kind, bool postgres) {
  const char* part = kind == ParamKind::kToken ? "t" : "r";
  return postgres ? std::string("json_array_elements(k.keys::json -> '") + part + "') AS " + alias + "(value)"
                  : std::string("json_each(k.keys, '$.") + part + "') " + alias;
}

Result<SearchQuery::Filter> value_condition(const SearchIndex& index, const SearchQuery::Criterion& c,
                                            const IndexColumns& x) {
  const SearchParam& p = *c.param;
  std::string name(p.name);
  SearchQuery::Filter out;
  auto orr = [&](const std::string& cond) { out.sql += (out.sql.empty() ? "(" : " OR (") + cond + ")"; };
  for (const auto& v : c.values) {
    switch (p.kind) {
      case ParamKind::kId:
        orr("r.resource_id = ?");
        out.params.push_back(v);
        break;
      case ParamKind::kLastUpdated: {
        auto d = parse_date_value(name, v);
        if (!d.is_ok()) return d.status();
        orr(point_condition(d->prefix, d->range, out.params));
        break;
      }
      case ParamKind::kDate: {
        auto d = parse_date_value(name, v);
        if (!d.is_ok()) return d.status();
        orr(date_condition(d->prefix, x.low, x.high));
        date_params(d->prefix, d->range, [](int64_t s) { return store::Value(s); }, out.params);
        break;
      }
      case ParamKind::kToken: {
        size_t bar = find_bar(v);
        std::string system = bar == std::string::npos ? "" : split_escaped(v.substr(0, bar), '\0')[0];
        std::string code = split_escaped(bar == std::string::npos ? v : v.substr(bar + 1), '\0')[0];
        if (p.hashed && !code.empty()) code = index.hash_identifier(code);
        if (bar == std::string::npos) {
          orr(x.code + " = ?");
          out.params.push_back(code);
        } else if (code.empty()) {
          orr(x.system + " = ?");
          out.params.push_back(system);
        } else {
          orr(x.system + " = ? AND " + x.code + " = ?");
          out.params.push_back(system);
          out.params.push_back(code);
        }
        break;
      }
      case ParamKind::kReference:
        if (v.find('/') != std::string::npos) {
          orr(x.target + " = ?");
          out.params.push_back(v);
        } else if (!c.modifier.empty() || !p.target.empty()) {
          orr(x.target + " = ?");
          out.params.push_back((c.modifier.empty() ? std::string(p.target) : c.modifier) + "/" + v);
        } else {
          orr(x.target + " LIKE ?");  // any type; ids cannot hold LIKE wildcards
          out.params.push_back("%/" + v);
        }
        break;
    }
  }
  return out;
}

bool on_resources_row(const SearchParam& p) { return p.kind == ParamKind::kId || p.kind == ParamKind::kLastUpdated; }
bool positive(const SearchQuery::Criterion& c) { return c.modifier != "not" && c.modifier != "missing"; }

std::string indexed_param(const SearchQuery::Criterion& c, const IndexColumns& x, std::vector<store::Value>& params) {
  const SearchParam& as = indexed_as(*c.param);
  params.push_back(std::string(as.name));
  std::string sql = x.param + " = ?";
  if (&as != c.param && c.modifier == "missing") {
    sql += " AND " + x.target + " LIKE ?";  // type names hold no LIKE wildcard
    params.push_back(std::string(c.param->target) + "/%");
  }
  return sql;
}

// Appends the WHERE terms (after the compartment and type) for the criteria.
Status criteria_sql(const SearchIndex& index, std::string_view compartment, const SearchQuery& q, std::string& sql,
                    std::vector<store::Value>& params) {
  // The ids each positive criterion's index rows name, intersected in one subquery: each
  // index range is read once, and only the ids in all of them are looked up in resources
  // (as separate IN terms, a planner may instead probe every index for each id of the
  // first one — on PostgreSQL, 4x the work for a patient's observations of one code).
  std::vector<std::string> sets;
  std::vector<store::Value> set_params;
  for (const auto& c : q.criteria) {
    const SearchParam& p = *c.param;
    std::vector<store::Value> head = {std::string(compartment), q.type};
    std::string ids = "SELECT x.resource_id FROM " + std::string(index_table(p.kind)) +
                      " x WHERE x.compartment = ? AND x.resource_type = ? AND " + indexed_param(c, "x", head);
    if (c.modifier == "missing") {
      if (c.values[0] == "true") {
        sql += " AND r.resource_id NOT IN (" + ids + ")";
        params.insert(params.end(), head.begin(), head.end());
      } else {
        sets.push_back(ids);
        set_params.insert(set_params.end(), head.begin(), head.end());
      }
      continue;
    }
    auto cond = value_condition(index, c, "x");
    if (!cond.is_ok()) return cond.status();
    if (on_resources_row(p)) {
      sql += " AND (" + cond->sql + ")";
      params.insert(params.end(), cond->params.begin(), cond->params.end());
      continue;
    }
    ids += " AND (" + cond->sql + ")";
    std::vector<store::Value>& to = positive(c) ? set_params : params;
    if (positive(c)) {
      sets.push_back(ids);
    } else {
      sql += " AND r.resource_id NOT IN (" + ids + ")";
    }
    to.insert(to.end(), head.begin(), head.end());
    to.insert(to.end(), cond->params.begin(), cond->params.end());
  }
  if (!sets.empty()) {
    std::string all;
    for (const auto& ids : sets) all += (all.empty() ? "" : " INTERSECT ") + ids;
    sql += " AND r.resource_id IN (" + all + ")";
    params.insert(params.end(), set_params.begin(), set_params.end());
  }
  return Status::ok();
}


std::string current_columns(bool with_current) {
  return with_current ? ", " + ResourceStore::current_columns(false) : std::string();
}

void keep_matches(const std::vector<store::Row>& rows, size_t current_from, SearchPage& page) {
  for (const auto& row : rows) {
    page.matches.emplace_back(row.text(0), row.integer(1));
    if (current_from == 0) continue;
    std::vector<store::Value> current;
    for (size_t i = current_from; i < current_from + 4; ++i) current.push_back(row.value(i));
    page.current.emplace_back(std::move(current));
  }
}

}  // namespace search_sql

using namespace search_sql;

Result<SearchQuery> parse_search(std::string_view type, const std::vector<std::pair<std::string, std::string>>& params,
                                 bool strict) {
  SearchQuery q;
  q.type = std::string(type);
  if (!find_resource_type(type)) return Status::not_found("resource type '" + clip(type) + "' is not supported");
  for (const auto& [name, value] : params) {
    if (name == "_cursor") {
      q.cursor = value;
      continue;
    }
    if (name == "_format" || name == "_pretty") continue;  // negotiated by the REST layer
    q.echoed.emplace_back(name, value);
    if (name == "_count") {
      int n = -1;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 0) {
        if (ec == std::errc::result_out_of_range && !value.empty() && value[0] != '-') {
          n = kMaxPageSize;
        } else {
          return bad("_count must be a whole number ≥ 0");
        }
      }
      q.count = std::min(n, kMaxPageSize);
      if (n == 0) q.summary = SearchQuery::Summary::kCount;
    } else if (name == "_sort") {
      q.sort.clear();
      for (const auto& key : split_escaped(value, ',')) {
        bool desc = !key.empty() && key[0] == '-';
        std::string pname = desc ? key.substr(1) : key;
        const SearchParam* p = find_search_param(type, pname);
        if (!p) return bad("_sort: unknown parameter '" + clip(pname) + "' for " + std::string(type));
        if (p->kind != ParamKind::kDate && p->kind != ParamKind::kLastUpdated && p->kind != ParamKind::kId) {
          return bad("_sort: only dates, _lastUpdated and _id can sort results, not '" + pname + "'");
        }
        q.sort.push_back({p, desc});
      }
      if (q.sort.size() > 3) return bad("_sort: at most 3 keys");
    } else if (name == "_summary") {
      using S = SearchQuery::Summary;
      if (value == "count") q.summary = S::kCount;
      else if (value == "true") q.summary = S::kTrue;
      else if (value == "text") q.summary = S::kText;
      else if (value == "data") q.summary = S::kData;
      else if (value == "false") q.summary = S::kNone;
      else return bad("_summary must be true, text, data, count or false");
    } else if (name == "_elements") {
      for (auto& e : split_escaped(value, ',')) {
        if (!e.empty()) q.elements.push_back(std::move(e));
      }
    } else if (name == "_total") {
      if (value != "none" && value != "estimate" && value != "accurate") return bad("_total must be none, estimate or accurate");
      q.total = value != "none";
    } else if (name == "_include" || name == "_revinclude") {
      if (q.includes.size() >= 5) return bad("at most 5 _include/_revinclude parameters");
      auto inc = parse_include(type, name == "_revinclude", value);
      if (!inc.is_ok()) return inc.status();
      q.includes.push_back(std::move(*inc));
    } else {
      size_t ignored = q.ignored.size();
      CARNET_RETURN_IF_ERROR(parse_criterion(type, name, value, strict, q));
      if (q.ignored.size() > ignored) q.echoed.pop_back();  // not repeated in paging links
    }
  }
  if (q.summary == SearchQuery::Summary::kCount) q.total = true;
  return q;
}

Result<SearchPage> Searcher::run(store::Transaction& tx, std::string_view compartment, const SearchQuery& q,
                                 bool with_current) const {
  SearchPage page;
  std::string where = " FROM resources r WHERE r.compartment = ? AND r.resource_type = ? AND r.deleted = 0";
  std::vector<store::Value> where_params = {std::string(compartment), q.type};
  CARNET_RETURN_IF_ERROR(criteria_sql(index_, compartment, q, where, where_params));
  for (const auto& f : q.filters) {
    where += " AND (" + f.sql + ")";
    where_params.insert(where_params.end(), f.params.begin(), f.params.end());
  }

  if (q.total) {
    auto n = tx.query_one("SELECT COUNT(*)" + where, where_params);
    if (!n.is_ok()) return n.status();
    page.total = (*n)->integer(0);
  }
  if (q.summary == SearchQuery::Summary::kCount) return page;
  if (auto order = ordered(q)) {
    auto plan = ordered_plan(index_, compartment, q, *order, tx.lateral_joins());
    if (!plan.is_ok()) return plan.status();
    CARNET_RETURN_IF_ERROR(run_ordered(tx, *plan, q, *order, with_current, page));
    return page;
  }

  // Sort keys, ending with the id so that every row has a distinct position.
  std::vector<SearchQuery::SortKey> keys = q.sort;
  static const SearchParam kIdParam{"_id", ParamKind::kId, "id"};
  if (keys.empty() || keys.back().param->kind != ParamKind::kId) keys.push_back({&kIdParam, false});
  std::vector<SearchQuery::SortKey> cursor_keys(keys.begin(), keys.end() - 1);

  std::vector<store::Value> select_params;
  std::vector<std::string> exprs;
  std::vector<std::vector<store::Value>> expr_params;
  for (const auto& k : keys) {
    std::vector<store::Value> p;
    exprs.push_back(sort_expression(k, p));
    expr_params.push_back(p);
  }
  std::string sql = "SELECT r.resource_id, r.version";
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    sql += ", " + exprs[i];
    select_params.insert(select_params.end(), expr_params[i].begin(), expr_params[i].end());
  }
  sql += current_columns(with_current) + where;
  std::vector<store::Value> params = select_params;
  params.insert(params.end(), where_params.begin(), where_params.end());

  Cursor cursor;
  if (!q.cursor.empty()) {
    auto c = decode_cursor(q.cursor, cursor_keys);
    if (!c.is_ok()) return c.status();
    cursor = std::move(*c);
    // (k0 after v0) OR (k0 = v0 AND k1 after v1) OR ...
    std::string any;
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string term;
      for (size_t j = 0; j < i; ++j) {
        term += exprs[j] + " = ? AND ";
        params.insert(params.end(), expr_params[j].begin(), expr_params[j].end());
        params.push_back(cursor.keys[j]);
      }
      bool greater = keys[i].descending == cursor.before;
      term += exprs[i] + (greater ? " > ?" : " < ?");
      params.insert(params.end(), expr_params[i].begin(), expr_params[i].end());
      params.push_back(cursor.keys[i]);
      any += (any.empty() ? "(" : " OR (") + term + ")";
    }
    sql += " AND (" + any + ")";
  }
  sql += " ORDER BY ";
  for (size_t i = 0; i < keys.size(); ++i) {
    bool desc = keys[i].descending != cursor.before;
    sql += (i ? ", " : "") + exprs[i] + (desc ? " DESC" : " ASC");
    params.insert(params.end(), expr_params[i].begin(), expr_params[i].end());
  }
  sql += " LIMIT ?";
  params.push_back(int64_t{q.count} + 1);

  auto rows = tx.query(sql, params);
  if (!rows.is_ok()) return rows.status();
  bool more = rows->size() > static_cast<size_t>(q.count);
  if (more) rows->pop_back();
  if (cursor.before) std::reverse(rows->begin(), rows->end());
  keep_matches(*rows, with_current ? 1 + keys.size() : 0, page);
  if (!rows->empty()) {
    bool has_next = cursor.before || more;
    bool has_previous = cursor.before ? more : !q.cursor.empty();
    if (has_next) page.next_cursor = encode_cursor(false, rows->back(), 2, cursor_keys.size());
    if (has_previous) page.previous_cursor = encode_cursor(true, rows->front(), 2, cursor_keys.size());
  }
  return page;
}

Result<std::vector<IncludedRef>> Searcher::includes(store::Transaction& tx, std::string_view compartment,
                                                    const SearchQuery& q, const SearchPage& page) const {
  std::vector<IncludedRef> out;
  if (page.matches.empty()) return out;
  for (const auto& inc : q.includes) {
    std::string sql;
    // A parameter restricted to one target type finds only resources of that type.
    std::string_view only = inc.reverse ? std::string_view() : std::string_view(inc.target_type);
    if (!inc.reverse && only.empty()) only = inc.param->target;
    if (inc.reverse && !inc.param->target.empty() && inc.param->target != q.type) continue;
    std::vector<store::Value> params = {std::string(compartment), inc.source_type,
                                        std::string(indexed_as(*inc.param).name)};
    if (!inc.reverse) {
      // The references of the page's resources, from their index keys.
      const IndexColumns x = IndexColumns::key_element("x", ParamKind::kReference);
      sql = "SELECT " + x.target + " FROM index_keys k, " + keys_elements("x", ParamKind::kReference, tx.lateral_joins()) +
            " WHERE k.compartment = ? AND k.resource_type = ? AND " + x.param + " = ? AND k.resource_id IN (";
    } else {
      sql = "SELECT resource_id FROM search_references WHERE compartment = ? AND resource_type = ? AND param = ? "
            "AND target IN (";
    }
    for (size_t i = 0; i < page.matches.size(); ++i) {
      sql += i ? ", ?" : "?";
      params.push_back(inc.reverse ? q.type + "/" + page.matches[i].first : page.matches[i].first);
    }
    sql += ") LIMIT 1000";
    CARNET_RETURN_IF_ERROR(tx.query_each(sql, params, [&](const store::Row& row) {
      if (inc.reverse) {
        out.push_back({inc.source_type, row.text(0)});
      } else {
        const std::string& t = row.text(0);
        std::string type = t.substr(0, t.find('/'));
        if (only.empty() || only == type) out.push_back({type, t.substr(t.find('/') + 1)});
      }
      return Status::ok();
    }));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return std::tie(a.type, a.id) < std::tie(b.type, b.id); });
  out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.type == b.type && a.id == b.id; }),
            out.end());
  return out;
}

}  // namespace carnet::fhir
