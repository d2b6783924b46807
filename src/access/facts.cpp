#include "access/facts.h"

#include "fhir/resource_store.h"
#include "store/space_keys.h"

namespace carnet::access {
namespace {

// Columns 0-10, read by fill(); the FROM clause that follows names the rows `s` (spaces) and
// `x` (resource_access). Without a resource id (a create, a search) the labels columns are
// NULL and resource_access is not read at all: on PostgreSQL, looking up a key that does not
// exist predicate-locks the index page where it would be, the page every concurrent create in
// the space inserts into, and each such pair of transactions is a serialization conflict.
// The care relationships a professional holds are bits (designated 1, care team 2, consent 4,
// emergency 8), one MAX per kind: a SUM(DISTINCT ...) opened a temporary B-tree on SQLite for
// every access decision.
constexpr char kSpaceColumns[] =
    "SELECT s.state, s.activated_at, "
    "(SELECT MAX(CASE c.kind WHEN 'designated' THEN 1 ELSE 0 END) + 2 * MAX(CASE c.kind WHEN 'care_team' THEN 1 "
    "ELSE 0 END) + 4 * MAX(CASE c.kind WHEN 'consent' THEN 1 ELSE 0 END) + 8 * MAX(CASE c.kind WHEN 'emergency' "
    "THEN 1 ELSE 0 END) FROM care_relationships c WHERE c.space_id = s.space_id AND c.idnatps = ? "
    "AND c.removed_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > ?)), "
    "(SELECT 1 + b.emergency_allowed FROM blocked_professionals b WHERE b.space_id = s.space_id AND b.idnatps = ?), "
    "(SELECT e.emergency_forbidden FROM space_access_settings e WHERE e.space_id = s.space_id), ";
// The same for anyone else than a professional, whose decisions do not read columns 2-4: no
// subquery to plan and run for them.
constexpr char kSpaceColumnsNotProfessional[] = "SELECT s.state, s.activated_at, NULL, NULL, NULL, ";
constexpr char kLabelColumns[] =
    "x.resource_id, x.hidden_from_professionals, x.hidden_from_representatives, x.author_idnatps, x.category, "
    "x.withheld_until";
constexpr char kNoLabelColumns[] = "NULL, NULL, NULL, NULL, NULL, NULL";
constexpr size_t kFactsColumnCount = 11;

bool professional(const Caller& c) { return c.actor.kind == ActorKind::kProfessional && !c.actor.idnatps.empty(); }

// The columns the query asks besides the facts, and their parameters in order.
std::string extra_columns(const FactsQuery& q, std::vector<store::Value>& params) {
  std::string sql;
  if (q.with_current) sql += ", " + fhir::ResourceStore::current_columns();
  if (q.session) {
    sql += ", (" + q.session->sql + ")";
    params.insert(params.end(), q.session->params.begin(), q.session->params.end());
  }
  if (q.with_reference_version) sql += ", (" + std::string(store::kReferenceVersionQuery) + ")";
  if (q.with_space_key) sql += ", " + store::SpaceKeys::column("s.space_id");
  return sql;
}

void read_extras(store::Transaction& tx, const FactsQuery& q, const store::Row& row, size_t first, LoadedFacts& out) {
  if (q.with_current) {
    if (!row.is_null(first)) {
      std::vector<store::Value> values;
      for (size_t i = 0; i < fhir::ResourceStore::kCurrentColumnCount; ++i) values.push_back(row.value(first + i));
      out.current = store::Row(std::move(values));
    }
    first += fhir::ResourceStore::kCurrentColumnCount;
  }
  if (q.session) out.session_confirmed = row.integer(first++) != 0;
  if (q.with_reference_version) out.reference_version = row.integer(first++);
  if (q.with_space_key) store::SpaceKeys::remember(tx, out.space.space_id, row.value(first));
}

// Fills the facts from a row of kSpaceColumns then the label columns (null: no such space, read as closed).
Status fill(store::Transaction& tx, const Caller& caller, const FactsQuery& q, const store::Row* row, LoadedFacts& out) {
  SpaceFacts& f = out.space;
  f.state = "closed";
  if (!row || row->is_null(0)) return Status::ok();
  const store::Row& r = *row;
  ResourceFacts& resource = out.resource;
  if (!r.is_null(5)) {
    out.resource_exists = true;
    resource.hidden_from_professionals = r.integer(6) != 0;
    resource.hidden_from_representatives = r.integer(7) != 0;
    resource.author_idnatps = r.text(8);
    if (!r.is_null(9)) resource.category = r.text(9);
    resource.withheld_from_patient = !r.is_null(10) && r.text(10) > q.now;
  }
  f.state = r.text(0);
  f.activated = !r.is_null(1);
  const Actor& a = caller.actor;
  if (a.kind == ActorKind::kHolder || a.kind == ActorKind::kRepresentative) {
    f.is_holder = !caller.own_space.empty() && caller.own_space == f.space_id;
    f.is_representative = !f.is_holder && caller.acting_space == f.space_id;
    if (f.is_representative) {
      // Acting by delegation rather than as a legal representative: with the rights given.
      auto d = tx.query_one(
          "SELECT rights FROM delegations WHERE space_id = ? AND delegate_space_id = ? AND revoked_at IS NULL",
          {f.space_id, caller.own_space});
      if (!d.is_ok()) return d.status();
      f.read_only = *d && (*d)->text(0) == "read";
    }
  }
  if (!professional(caller)) return Status::ok();
  const int64_t kinds = r.integer(2);  // one bit per kind of relationship in force
  f.designated_physician = kinds & 1;
  f.care_team = kinds & 2;
  f.consent = kinds & 4;
  f.emergency = kinds & 8;
  if (!r.is_null(3)) {
    f.blocked = true;
    f.emergency_despite_block = r.integer(3) == 2;
  }
  f.emergency_forbidden = r.integer(4) != 0;
  return Status::ok();
}

}  // namespace

Result<LoadedFacts> load_facts(store::Transaction& tx, const Caller& caller, const FactsQuery& q) {
  LoadedFacts out;
  out.resource.type = q.type;
  std::vector<store::Value> params;
  const char* space_columns = kSpaceColumnsNotProfessional;
  if (professional(caller)) {
    params = {caller.actor.idnatps, q.now, caller.actor.idnatps};
    space_columns = kSpaceColumns;
  }
  std::string sql;
  bool locate = q.locate && !q.resource_id.empty();
  if (locate) {
    // The resource locates its space (resources_by_id), whose facts come in the same round trip.
    sql = std::string(space_columns) + kLabelColumns + ", r.compartment" + extra_columns(q, params) +
          " FROM resources r LEFT JOIN spaces s ON s.space_id = r.compartment "
          "LEFT JOIN resource_access x ON x.compartment = r.compartment AND x.resource_type = r.resource_type "
          "AND x.resource_id = r.resource_id WHERE r.resource_type = ? AND r.resource_id = ? LIMIT 1";
    params.insert(params.end(), {q.type, q.resource_id});
  } else if (q.resource_id.empty() && !q.named_by) {
    sql = std::string(space_columns) + kNoLabelColumns + extra_columns(q, params) + " FROM spaces s WHERE s.space_id = ?";
    params.emplace_back(q.space_id);
  } else {
    // The resource by its id, or by the id its naming query gives (n.named).
    const char* id = q.named_by ? "n.named" : "?";
    sql = std::string(space_columns) + kLabelColumns + (q.named_by ? ", n.named" : "") + extra_columns(q, params) +
          " FROM spaces s";
    if (q.named_by) {
      sql += " CROSS JOIN (SELECT (" + q.named_by->sql + ") AS named) n";
      params.insert(params.end(), q.named_by->params.begin(), q.named_by->params.end());
    }
    sql += std::string(" LEFT JOIN resource_access x ON x.compartment = s.space_id AND x.resource_type = ? "
                       "AND x.resource_id = ") + id;
    params.emplace_back(q.type);
    if (!q.named_by) params.emplace_back(q.resource_id);
    if (q.with_current) {
      sql += std::string(" LEFT JOIN resources r ON r.compartment = s.space_id AND r.resource_type = ? "
                         "AND r.resource_id = ") + id;
      params.emplace_back(q.type);
      if (!q.named_by) params.emplace_back(q.resource_id);
    }
    sql += " WHERE s.space_id = ?";
    params.emplace_back(q.space_id);
  }
  auto row = tx.query_one(sql, params);
  if (!row.is_ok()) return row.status();
  if (locate) {
    if (!*row || (*row)->text(kFactsColumnCount) == "directory") {
      return Status::not_found(q.type + "/" + q.resource_id + " does not exist");
    }
    out.space.space_id = (*row)->text(kFactsColumnCount);
    out.resource_exists = true;
    read_extras(tx, q, **row, kFactsColumnCount + 1, out);
  } else if (q.named_by) {
    out.space.space_id = q.space_id;
    if (*row) {
      if (!(*row)->is_null(kFactsColumnCount)) out.named_id = (*row)->text(kFactsColumnCount);
      read_extras(tx, q, **row, kFactsColumnCount + 1, out);
    }
  } else {
    out.space.space_id = q.space_id;
    if (*row) read_extras(tx, q, **row, kFactsColumnCount, out);
  }
  if (q.session && !*row) {
    // Nothing read with the facts (no such space): the session alone.
    auto held = tx.query_one("SELECT (" + q.session->sql + ")", q.session->params);
    if (!held.is_ok()) return held.status();
    out.session_confirmed = *held && (**held).integer(0) != 0;
  }
  if (q.with_reference_version && !*row) {
    auto v = store::reference_version(tx);
    if (!v.is_ok()) return v.status();
    out.reference_version = *v;
  }
  CARNET_RETURN_IF_ERROR(fill(tx, caller, q, row->has_value() ? &**row : nullptr, out));
  if (out.current) out.resource_exists = true;
  return out;
}

}  // namespace carnet::access
