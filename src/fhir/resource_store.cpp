#include "fhir/resource_store.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "fhir/search_params.h"
#include "store/insert_rows.h"
#include "store/space_keys.h"

namespace carnet::fhir {
namespace {

std::string associated_data(std::string_view compartment, std::string_view type, std::string_view id, int64_t version) {
  std::string ad = "carnet.fhir.v1|";
  ad.append(compartment).append("|").append(type).append("|").append(id).append("|").append(std::to_string(version));
  return ad;
}

// FHIR id: [A-Za-z0-9\-\.]{1,64}
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

std::string ref(std::string_view type, std::string_view id) {
  return std::string(type) + "/" + std::string(id);
}

}  // namespace

ResourceStore::ResourceStore(const crypto::KeyRing& ring, const Clock& clock) : ring_(ring), clock_(clock), index_(ring) {}

Result<crypto::SecretKey> ResourceStore::key_for(store::Transaction& tx, std::string_view compartment) {
  if (compartment == kDirectoryCompartment) return ring_.service_key(crypto::ServiceKey::kDirectory);
  return store::SpaceKeys(ring_).get(tx, compartment);
}

namespace {

// Whether the resource's `patient` parameter names its space's own patient (the resources
// row's names_holder, which settles `patient=<the holder>` in a search without a look-up):
// one of the rows it is indexed as names them.
bool names_holder(std::string_view type, const IndexEntries& entries, std::string_view compartment) {
  const SearchParam* patient = find_search_param(type, "patient");
  if (!patient || patient->kind != ParamKind::kReference) return false;
  const std::string_view param = indexed_as(*patient).name;
  const std::string holder = "Patient/" + std::string(compartment);
  return std::any_of(entries.references.begin(), entries.references.end(),
                     [&](const IndexEntries::Reference& r) { return r.param == param && r.target == holder; });
}

Result<nlohmann::json> parse_resource(std::string_view json) {
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::invalid("a resource must be a JSON object");
  return doc;
}

// Before its row takes a new version, the current one (when the row holds it) joins the
// versions kept.
Status keep_previous(store::Transaction& tx, std::string_view compartment, std::string_view type,
                     std::string_view id) {
  return tx
      .exec("INSERT INTO resource_versions (compartment, resource_type, resource_id, version, last_updated, deleted, "
            "body) SELECT compartment, resource_type, resource_id, version, last_updated, deleted, body FROM resources "
            "WHERE compartment = ? AND resource_type = ? AND resource_id = ? AND body IS NOT NULL",
            {std::string(compartment), std::string(type), std::string(id)})
      .status();
}

// The versions of one resource (version, last_updated, deleted, body) that also meet
// `condition` (its parameters `extra`): the row's own when it holds it, and those kept.
// Fills `params`.
std::string versions_of(std::string_view compartment, std::string_view type, std::string_view id,
                        std::string_view condition, const std::vector<store::Value>& extra,
                        std::vector<store::Value>& params) {
  std::string sql;
  for (std::string_view table : {"resources", "resource_versions"}) {
    sql += sql.empty() ? "SELECT " : " UNION ALL SELECT ";
    sql += "version, last_updated, deleted, body FROM " + std::string(table) +
           " WHERE compartment = ? AND resource_type = ? AND resource_id = ?" + std::string(condition);
    if (table == "resources") sql += " AND body IS NOT NULL";
    params.insert(params.end(), {std::string(compartment), std::string(type), std::string(id)});
    params.insert(params.end(), extra.begin(), extra.end());
  }
  return sql;
}

// A resource's row (its version and deleted flag) and the index entries it has (its time
// and its keys, search_index.h): none when it is deleted.
constexpr std::string_view kRowState =
    "SELECT r.version, r.deleted, r.at, k.keys FROM resources r LEFT JOIN index_keys k ON k.compartment = "
    "r.compartment AND k.resource_type = r.resource_type AND k.resource_id = r.resource_id "
    "WHERE r.compartment = ? AND r.resource_type = ? AND r.resource_id = ?";
std::optional<SearchIndex::Previous> indexed_by(const store::Row& row) {
  if (row.integer(1) != 0) return std::nullopt;
  SearchIndex::Previous p{row.integer(2), std::nullopt};
  if (!row.is_null(3)) p.keys = row.text(3);
  return p;
}

}  // namespace

Result<ResourceVersion> ResourceStore::write_version(store::Transaction& tx, std::string_view compartment,
                                                     std::string_view type, std::string_view id, int64_t version,
                                                     nlohmann::json& doc, bool is_new, bool fresh_id,
                                                     const SearchIndex::Previous* previous) {
  if (!doc.is_object()) return Status::invalid("a resource must be a JSON object");
  auto rt = doc.find("resourceType");
  if (rt == doc.end() || !rt->is_string() || *rt != type) {
    return Status::invalid("resourceType must be " + std::string(type));
  }
  ResourceVersion v{std::string(type), std::string(id), version, format_instant(clock_.now()), false, {},
                    std::string(compartment)};
  doc["id"] = v.id;
  nlohmann::json& meta = doc["meta"];
  if (!meta.is_object()) meta = nlohmann::json::object();
  meta["versionId"] = std::to_string(version);
  meta["lastUpdated"] = v.last_updated;
  v.json = doc.dump();

  auto key = key_for(tx, compartment);
  if (!key.is_ok()) return key.status();
  store::Blob body{crypto::seal(*key, v.json, associated_data(compartment, type, id, version))};
  IndexEntries entries = index_.extract(type, doc);
  const int64_t holder = names_holder(type, entries, compartment) ? 1 : 0;
  if (is_new) {
    // The row's primary key refuses an id in use; an id just drawn is in use nowhere: sent
    // without waiting for the answer, maybe with other resources' rows (store.h).
    constexpr std::string_view kColumns =
        "compartment, resource_type, resource_id, version, last_updated, deleted, at, names_holder, body";
    std::vector<std::vector<store::Value>> rows;
    rows.push_back({std::string(compartment), v.type, v.id, version, v.last_updated, int64_t{0}, entries.at, holder,
                    std::move(body)});
    if (fresh_id) {
      CARNET_RETURN_IF_ERROR(tx.insert_deferred("resources", kColumns, std::move(rows)));
    } else if (auto ins = store::insert_rows(tx, "resources", kColumns, std::move(rows)); !ins.is_ok()) {
      if (ins.status().code() == ErrorCode::kConflict) return Status::conflict(ref(type, id) + " already exists");
      return ins.status();
    }
  } else {
    CARNET_RETURN_IF_ERROR(keep_previous(tx, compartment, type, id));
    auto upd = tx.exec(
        "UPDATE resources SET version = ?, last_updated = ?, deleted = 0, at = ?, names_holder = ?, body = ? "
        "WHERE compartment = ? AND resource_type = ? AND resource_id = ? AND version = ?",
        {version, v.last_updated, entries.at, holder, std::move(body), std::string(compartment), v.type, v.id,
         version - 1});
    if (!upd.is_ok()) return upd.status();
    if (*upd != 1) return Status::conflict(ref(type, id) + " changed during this update; read it again");
  }
  // A new resource has no index rows to replace (not even looked for: on PostgreSQL that
  // empty range scan would conflict with concurrent creates in the same space).
  CARNET_RETURN_IF_ERROR(index_.write(tx, compartment, type, id, entries, previous));
  return v;
}

Result<ResourceVersion> ResourceStore::create(store::Transaction& tx, std::string_view compartment,
                                              std::string_view type, std::string_view json, std::string_view id,
                                              bool fresh_id) {
  auto doc = parse_resource(json);
  if (!doc.is_ok()) return doc.status();
  return create(tx, compartment, type, *doc, id, fresh_id);
}

Result<ResourceVersion> ResourceStore::create(store::Transaction& tx, std::string_view compartment,
                                              std::string_view type, nlohmann::json& json, std::string_view id,
                                              bool fresh_id) {
  std::string assigned = id.empty() ? crypto::time_ordered_uuid() : std::string(id);
  if (!valid_id(assigned)) return Status::invalid("invalid resource id '" + assigned.substr(0, 70) + "'");
  // An existing id is refused by the first row's primary key (no look-up first: an empty
  // range read would make concurrent creates in one space conflict on PostgreSQL).
  return write_version(tx, compartment, type, assigned, 1, json, true, fresh_id || id.empty());
}

Result<ResourceVersion> ResourceStore::open_row(const crypto::SecretKey& key, std::string_view compartment,
                                                std::string_view type, std::string_view id, const store::Row& row) {
  // row: version, last_updated, deleted, body
  ResourceVersion v{std::string(type), std::string(id), row.integer(0), row.text(1), row.integer(2) != 0, {},
                    std::string(compartment)};
  if (v.deleted) return v;
  auto plain = crypto::open(key, row.text(3), associated_data(compartment, type, id, v.version));
  if (!plain.is_ok()) return plain.status().with_context(ref(type, id) + " version " + std::to_string(v.version));
  v.json = std::move(plain.value());
  return v;
}

Result<ResourceVersion> ResourceStore::vread(store::Transaction& tx, std::string_view compartment,
                                             std::string_view type, std::string_view id, int64_t version) {
  std::vector<store::Value> params;
  const std::string sql = versions_of(compartment, type, id, " AND version = ?", {version}, params);
  auto row = tx.query_one(sql, params);
  if (!row.is_ok()) return row.status();
  if (!*row) return Status::not_found(ref(type, id) + " has no version " + std::to_string(version));
  auto key = key_for(tx, compartment);
  if (!key.is_ok()) return key.status();
  return open_row(*key, compartment, type, id, **row);
}

Result<std::vector<ResourceVersion>> ResourceStore::open_page(
    store::Transaction& tx, std::string_view compartment, std::string_view type,
    const std::vector<std::pair<std::string, int64_t>>& matches, const std::vector<store::Row>& rows) {
  std::vector<ResourceVersion> out;
  if (matches.empty()) return out;
  if (rows.size() != matches.size()) return Status::internal("a search page without its matches' current columns");
  auto key = key_for(tx, compartment);
  if (!key.is_ok()) return key.status();
  out.reserve(matches.size());
  for (size_t i = 0; i < matches.size(); ++i) {
    auto v = open_row(*key, compartment, type, matches[i].first, rows[i]);
    if (!v.is_ok()) return v.status();
    out.push_back(std::move(*v));
  }
  return out;
}

std::string ResourceStore::current_columns(bool wrapped_key) {
  std::string sql =
      "r.version, r.last_updated, r.deleted, COALESCE(r.body, (SELECT v.body FROM resource_versions v "
      "WHERE v.compartment = r.compartment AND v.resource_type = r.resource_type AND v.resource_id = r.resource_id "
      "AND v.version = r.version))";
  if (wrapped_key) sql += ", (SELECT k.wrapped_key FROM space_keys k WHERE k.space_id = r.compartment)";
  return sql;
}

Result<ResourceVersion> ResourceStore::read(store::Transaction& tx, std::string_view compartment,
                                            std::string_view type, std::string_view id) {
  // The current version, its body and its space's wrapped key in one statement.
  auto row = tx.query_one("SELECT " + current_columns() + " FROM resources r WHERE r.compartment = ? AND r.resource_type = ? AND r.resource_id = ?",
                          {std::string(compartment), std::string(type), std::string(id)});
  if (!row.is_ok()) return row.status();
  if (!*row) return Status::not_found(ref(type, id) + " does not exist");
  return open_current(tx, compartment, type, id, **row);
}

Result<ResourceVersion> ResourceStore::open_current(store::Transaction& tx, std::string_view compartment,
                                                    std::string_view type, std::string_view id,
                                                    const store::Row& columns) {
  if (columns.is_null(0)) return Status::not_found(ref(type, id) + " does not exist");
  if (columns.integer(2) != 0) {
    return Status::gone(ref(type, id) + " was deleted (version " + std::to_string(columns.integer(0)) + ")");
  }
  auto key = compartment == kDirectoryCompartment ? key_for(tx, compartment)
                                                   : store::SpaceKeys(ring_).get(tx, compartment, columns.value(4));
  if (!key.is_ok()) return key.status();
  return open_row(*key, compartment, type, id, columns);
}

Result<ResourceVersion> ResourceStore::update(store::Transaction& tx, std::string_view compartment,
                                              std::string_view type, std::string_view id, std::string_view json,
                                              std::optional<int64_t> if_match) {
  auto doc = parse_resource(json);
  if (!doc.is_ok()) return doc.status();
  return update(tx, compartment, type, id, *doc, if_match);
}

Result<ResourceVersion> ResourceStore::update(store::Transaction& tx, std::string_view compartment,
                                              std::string_view type, std::string_view id, nlohmann::json& json,
                                              std::optional<int64_t> if_match) {
  if (!valid_id(id)) return Status::invalid("invalid resource id '" + std::string(id.substr(0, 70)) + "'");
  auto row = tx.query_one(kRowState, {std::string(compartment), std::string(type), std::string(id)});
  if (!row.is_ok()) return row.status();
  if (!*row) {
    if (if_match) return Status::precondition_failed(ref(type, id) + " does not exist");
    // An id chosen by the client must not name a resource of another compartment: ids stay
    // unique per type, so that a resource named by id alone has one home.
    auto elsewhere = tx.query_one("SELECT 1 FROM resources WHERE resource_type = ? AND resource_id = ? LIMIT 1",
                                  {std::string(type), std::string(id)});
    if (!elsewhere.is_ok()) return elsewhere.status();
    if (*elsewhere) return Status::conflict("the id " + std::string(id) + " is already in use; choose another");
    return write_version(tx, compartment, type, id, 1, json, true);
  }
  int64_t current = (*row)->integer(0);
  if (if_match && *if_match != current) {
    return Status::precondition_failed(ref(type, id) + " is at version " + std::to_string(current) + ", not " +
                                       std::to_string(*if_match));
  }
  auto previous = indexed_by(**row);
  return write_version(tx, compartment, type, id, current + 1, json, false, false, previous ? &*previous : nullptr);
}

Result<std::optional<int64_t>> ResourceStore::remove(store::Transaction& tx, std::string_view compartment,
                                                     std::string_view type, std::string_view id) {
  auto row = tx.query_one(kRowState, {std::string(compartment), std::string(type), std::string(id)});
  if (!row.is_ok()) return row.status();
  if (!*row || (*row)->integer(1) != 0) return std::optional<int64_t>();
  const SearchIndex::Previous previous = *indexed_by(**row);
  int64_t version = (*row)->integer(0) + 1;
  std::string now = format_instant(clock_.now());
  // The deletion is a version without a body, kept with the others; the row points to it.
  CARNET_RETURN_IF_ERROR(keep_previous(tx, compartment, type, id));
  auto ins = tx.exec(
      "INSERT INTO resource_versions (compartment, resource_type, resource_id, version, last_updated, deleted, body) "
      "VALUES (?, ?, ?, ?, ?, 1, NULL)",
      {std::string(compartment), std::string(type), std::string(id), version, now});
  if (!ins.is_ok()) return ins.status();
  auto upd = tx.exec(
      "UPDATE resources SET version = ?, last_updated = ?, deleted = 1, body = NULL "
      "WHERE compartment = ? AND resource_type = ? AND resource_id = ? AND version = ?",
      {version, now, std::string(compartment), std::string(type), std::string(id), version - 1});
  if (!upd.is_ok()) return upd.status();
  if (*upd != 1) return Status::conflict(ref(type, id) + " changed during this deletion; read it again");
  CARNET_RETURN_IF_ERROR(index_.clear(tx, compartment, type, id, previous));
  return std::optional<int64_t>(version);
}

Status ResourceStore::history(store::Transaction& tx, std::string_view compartment, std::string_view type,
                              std::string_view id, const std::function<Status(const ResourceVersion&)>& each) {
  auto key = key_for(tx, compartment);
  if (!key.is_ok()) return key.status();
  std::vector<store::Value> params;
  const std::string sql = versions_of(compartment, type, id, "", {}, params) + " ORDER BY version DESC";
  return tx.query_each(sql, params, [&](const store::Row& r) -> Status {
    auto v = open_row(*key, compartment, type, id, r);
    if (!v.is_ok()) return v.status();
    return each(*v);
  });
}

Result<ResourceStore::HistoryPage> ResourceStore::type_history(store::Transaction& tx, std::string_view compartment,
                                                               std::string_view type, std::string_view since,
                                                               std::string_view cursor, int count) {
  std::string where = " WHERE compartment = ? AND resource_type = ?";
  std::vector<store::Value> params = {std::string(compartment), std::string(type)};
  if (!since.empty()) {
    where += " AND last_updated >= ?";
    params.push_back(std::string(since));
  }
  if (!cursor.empty()) {
    // cursor: base64url of [last_updated, id, version] of the last version seen.
    auto raw = base64_decode(cursor);
    auto doc = raw ? nlohmann::json::parse(*raw, nullptr, false) : nlohmann::json();
    if (!doc.is_array() || doc.size() != 3 || !doc[0].is_string() || !doc[1].is_string() || !doc[2].is_number_integer()) {
      return Status::invalid("_cursor is not a cursor of this history: follow the links of the previous page");
    }
    where += " AND (last_updated < ? OR (last_updated = ? AND (resource_id < ? OR (resource_id = ? AND version < ?))))";
    std::string at = doc[0], id = doc[1];
    params.insert(params.end(), {at, at, id, id, doc[2].get<int64_t>()});
  }
  params.push_back(int64_t{count} + 1);
  // The versions kept and the current ones, each read in the page's order (at most count + 1
  // of each), merged. A resources row without a body stands for a version that is kept, with
  // the same (last_updated, id, version): the first count + 1 rows of either table are as many
  // distinct versions, so the page's versions are all among the rows read.
  constexpr std::string_view kColumns = "SELECT version, last_updated, deleted, body, resource_id FROM ";
  auto kept = tx.query(std::string(kColumns) + "resource_versions" + where +
                           " ORDER BY last_updated DESC, resource_id DESC, version DESC LIMIT ?",
                       params);
  if (!kept.is_ok()) return kept.status();
  auto current = tx.query(std::string(kColumns) + "resources" + where +
                              " ORDER BY last_updated DESC, resource_id DESC LIMIT ?",
                          params);
  if (!current.is_ok()) return current.status();
  std::vector<const store::Row*> rows;
  for (const auto& r : *kept) rows.push_back(&r);
  for (const auto& r : *current) {
    if (!r.is_null(3)) rows.push_back(&r);
  }
  std::sort(rows.begin(), rows.end(), [](const store::Row* a, const store::Row* b) {
    if (a->text(1) != b->text(1)) return a->text(1) > b->text(1);
    if (a->text(4) != b->text(4)) return a->text(4) > b->text(4);
    return a->integer(0) > b->integer(0);
  });
  auto key = key_for(tx, compartment);
  if (!key.is_ok()) return key.status();
  HistoryPage page;
  for (const store::Row* r : rows) {
    if (page.versions.size() == static_cast<size_t>(count)) {
      const auto& last = page.versions.back();
      page.next_cursor = base64url_encode(nlohmann::json::array({last.last_updated, last.id, last.version}).dump());
      break;
    }
    auto v = open_row(*key, compartment, type, r->text(4), *r);
    if (!v.is_ok()) return v.status();
    page.versions.push_back(std::move(*v));
  }
  return page;
}

}  // namespace carnet::fhir
