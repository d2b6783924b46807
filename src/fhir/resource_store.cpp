#include "fhir/resource_store.h"

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/aead.h"
#include "crypto/random.h"
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
// row's names_holder, which settles `patient=<the holder>` in a search without a look-up).
bool names_holder(const IndexEntries& entries, std::string_view compartment) {
  const std::string holder = "Patient/" + std::string(compartment);
  return std::any_of(entries.references.begin(), entries.references.end(),
                     [&](const IndexEntries::Reference& r) { return r.param == "patient" && r.target == holder; });
}

Result<nlohmann::json> parse_resource(std::string_view json) {
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::invalid("a resource must be a JSON object");
  return doc;
}

}  // namespace

Result<ResourceVersion> ResourceStore::write_version(store::Transaction& tx, std::string_view compartment,
                                                     std::string_view type, std::string_view id, int64_t version,
                                                     nlohmann::json& doc, bool is_new, bool fresh_id) {
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
  std::string sealed = crypto::seal(*key, v.json, associated_data(compartment, type, id, version));
  // The first version's key refuses an id in use; an id just drawn is in use nowhere.
  constexpr std::string_view kInsertVersion =
      "INSERT INTO resource_versions (compartment, resource_type, resource_id, version, last_updated, deleted, body) "
      "VALUES (?, ?, ?, ?, ?, 0, ?)";
  const std::vector<store::Value> version_row = {std::string(compartment), v.type, v.id, version, v.last_updated,
                                                 store::Blob{std::move(sealed)}};
  if (fresh_id) {
    CARNET_RETURN_IF_ERROR(tx.exec_deferred(kInsertVersion, version_row));
  } else if (auto ins = tx.exec(kInsertVersion, version_row); !ins.is_ok()) {
    if (is_new && ins.status().code() == ErrorCode::kConflict) return Status::conflict(ref(type, id) + " already exists");
    return ins.status();
  }
  IndexEntries entries = index_.extract(type, doc);
  const int64_t holder = names_holder(entries, compartment) ? 1 : 0;
  // A new resource's row cannot conflict once its first version went in: sent without
  // waiting for the answer (store.h).
  Status cur = is_new ? tx.exec_deferred("INSERT INTO resources (compartment, resource_type, resource_id, version, "
                                         "last_updated, deleted, at, names_holder) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                                         {std::string(compartment), v.type, v.id, version, v.last_updated, entries.at,
                                          holder})
                      : tx.exec("UPDATE resources SET version = ?, last_updated = ?, deleted = 0, at = ?, "
                                "names_holder = ? WHERE compartment = ? AND resource_type = ? AND resource_id = ?",
                                {version, v.last_updated, entries.at, holder, std::string(compartment), v.type, v.id})
                            .status();
  if (!cur.is_ok()) return cur;
  // A new resource has no index rows to replace (not even looked for: on PostgreSQL that
  // empty range scan would conflict with concurrent creates in the same space).
  CARNET_RETURN_IF_ERROR(index_.write(tx, compartment, type, id, entries, !is_new));
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
  auto row = tx.query_one(
      "SELECT version, last_updated, deleted, body FROM resource_versions "
      "WHERE compartment = ? AND resource_type = ? AND resource_id = ? AND version = ?",
      {std::string(compartment), std::string(type), std::string(id), version});
  if (!row.is_ok()) return row.status();
  if (!*row) return Status::not_found(ref(type, id) + " has no version " + std::to_string(version));
  auto key = key_for(tx, compartment);
  if (!key.is_ok()) return key.status();
  return open_row(*key, compartment, type, id, **row);
}

Result<std::vector<ResourceVersion>> ResourceStore::vread_many(
    store::Transaction& tx, std::string_view compartment, std::string_view type,
    const std::vector<std::pair<std::string, int64_t>>& versions) {
  std::vector<ResourceVersion> out;
  if (versions.empty()) return out;
  std::optional<crypto::SecretKey> key;
  if (compartment == kDirectoryCompartment) {
    auto k = key_for(tx, compartment);
    if (!k.is_ok()) return k.status();
    key = std::move(*k);
  }
  out.reserve(versions.size());
  // One statement per 100 versions (a round trip each on a database server), answers put
  // back in the order asked; the space's wrapped key comes with the first.
  constexpr size_t kPerStatement = 100;
  for (size_t start = 0; start < versions.size(); start += kPerStatement) {
    size_t end = std::min(versions.size(), start + kPerStatement);
    // The asked versions lead the join: each is one primary-key look-up (as a row-value IN,
    // SQLite would scan every version of the type in the space).
    std::string sql =
        "SELECT v.resource_id, v.version, v.last_updated, v.deleted, v.body, (SELECT k.wrapped_key FROM space_keys k "
        "WHERE k.space_id = ?) FROM (VALUES ";
    std::vector<store::Value> params = {key ? std::string() : std::string(compartment)};
    for (size_t i = start; i < end; ++i) {
      sql += i == start ? "(?, CAST(? AS INTEGER))" : ", (?, CAST(? AS INTEGER))";
      params.emplace_back(versions[i].first);
      params.emplace_back(versions[i].second);
    }
    sql += ") AS w CROSS JOIN resource_versions v WHERE v.compartment = ? AND v.resource_type = ? "
           "AND v.resource_id = w.column1 AND v.version = w.column2";
    params.emplace_back(std::string(compartment));
    params.emplace_back(std::string(type));
    std::map<std::pair<std::string, int64_t>, store::Row> rows;
    std::optional<store::Value> wrapped;
    CARNET_RETURN_IF_ERROR(tx.query_each(sql, params, [&](const store::Row& r) {
      rows.emplace(std::make_pair(r.text(0), r.integer(1)),
                   store::Row({r.value(1), r.value(2), r.value(3), r.value(4)}));
      if (!wrapped) wrapped = r.value(5);
      return Status::ok();
    }));
    if (!key && wrapped) {
      auto k = store::SpaceKeys(ring_).get(tx, compartment, *wrapped);
      if (!k.is_ok()) return k.status();
      key = std::move(*k);
    }
    for (size_t i = start; i < end; ++i) {
      const auto& [id, version] = versions[i];
      auto it = rows.find({id, version});
      if (it == rows.end()) return Status::not_found(ref(type, id) + " has no version " + std::to_string(version));
      auto v = open_row(*key, compartment, type, id, it->second);  // a row found: the key was read
      if (!v.is_ok()) return v.status();
      out.push_back(std::move(*v));
    }
  }
  return out;
}

Result<ResourceVersion> ResourceStore::read(store::Transaction& tx, std::string_view compartment,
                                            std::string_view type, std::string_view id) {
  // The current version, its body and its space's wrapped key in one statement.
  auto row = tx.query_one("SELECT " + std::string(kCurrentColumns) + " FROM resources r " + std::string(kCurrentJoin) +
                              " WHERE r.compartment = ? AND r.resource_type = ? AND r.resource_id = ?",
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
  auto row = tx.query_one(
      "SELECT version, deleted FROM resources WHERE compartment = ? AND resource_type = ? AND resource_id = ?",
      {std::string(compartment), std::string(type), std::string(id)});
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
  return write_version(tx, compartment, type, id, current + 1, json, false);
}

Result<std::optional<int64_t>> ResourceStore::remove(store::Transaction& tx, std::string_view compartment,
                                                     std::string_view type, std::string_view id) {
  auto row = tx.query_one(
      "SELECT version, deleted FROM resources WHERE compartment = ? AND resource_type = ? AND resource_id = ?",
      {std::string(compartment), std::string(type), std::string(id)});
  if (!row.is_ok()) return row.status();
  if (!*row || (*row)->integer(1) != 0) return std::optional<int64_t>();
  int64_t version = (*row)->integer(0) + 1;
  std::string now = format_instant(clock_.now());
  auto ins = tx.exec(
      "INSERT INTO resource_versions (compartment, resource_type, resource_id, version, last_updated, deleted, body) "
      "VALUES (?, ?, ?, ?, ?, 1, NULL)",
      {std::string(compartment), std::string(type), std::string(id), version, now});
  if (!ins.is_ok()) return ins.status();
  auto upd = tx.exec(
      "UPDATE resources SET version = ?, last_updated = ?, deleted = 1 "
      "WHERE compartment = ? AND resource_type = ? AND resource_id = ?",
      {version, now, std::string(compartment), std::string(type), std::string(id)});
  if (!upd.is_ok()) return upd.status();
  CARNET_RETURN_IF_ERROR(index_.clear(tx, compartment, type, id));
  return std::optional<int64_t>(version);
}

Status ResourceStore::history(store::Transaction& tx, std::string_view compartment, std::string_view type,
                              std::string_view id, const std::function<Status(const ResourceVersion&)>& each) {
  auto key = key_for(tx, compartment);
  if (!key.is_ok()) return key.status();
  return tx.query_each(
      "SELECT version, last_updated, deleted, body FROM resource_versions "
      "WHERE compartment = ? AND resource_type = ? AND resource_id = ? ORDER BY version DESC",
      {std::string(compartment), std::string(type), std::string(id)}, [&](const store::Row& r) -> Status {
        auto v = open_row(*key, compartment, type, id, r);
        if (!v.is_ok()) return v.status();
        return each(*v);
      });
}

Result<ResourceStore::HistoryPage> ResourceStore::type_history(store::Transaction& tx, std::string_view compartment,
                                                               std::string_view type, std::string_view since,
                                                               std::string_view cursor, int count) {
  std::string sql =
      "SELECT version, last_updated, deleted, body, resource_id FROM resource_versions "
      "WHERE compartment = ? AND resource_type = ?";
  std::vector<store::Value> params = {std::string(compartment), std::string(type)};
  if (!since.empty()) {
    sql += " AND last_updated >= ?";
    params.push_back(std::string(since));
  }
  if (!cursor.empty()) {
    // cursor: base64url of [last_updated, id, version] of the last version seen.
    auto raw = base64_decode(cursor);
    auto doc = raw ? nlohmann::json::parse(*raw, nullptr, false) : nlohmann::json();
    if (!doc.is_array() || doc.size() != 3 || !doc[0].is_string() || !doc[1].is_string() || !doc[2].is_number_integer()) {
      return Status::invalid("_cursor is not a cursor of this history: follow the links of the previous page");
    }
    sql += " AND (last_updated < ? OR (last_updated = ? AND (resource_id < ? OR (resource_id = ? AND version < ?))))";
    std::string at = doc[0], id = doc[1];
    params.insert(params.end(), {at, at, id, id, doc[2].get<int64_t>()});
  }
  sql += " ORDER BY last_updated DESC, resource_id DESC, version DESC LIMIT ?";
  params.push_back(int64_t{count} + 1);
  auto key = key_for(tx, compartment);
  if (!key.is_ok()) return key.status();
  auto rows = tx.query(sql, params);  // at most count + 1 rows
  if (!rows.is_ok()) return rows.status();
  HistoryPage page;
  for (const auto& r : *rows) {
    if (page.versions.size() == static_cast<size_t>(count)) {
      const auto& last = page.versions.back();
      page.next_cursor = base64url_encode(nlohmann::json::array({last.last_updated, last.id, last.version}).dump());
      break;
    }
    auto v = open_row(*key, compartment, type, r.text(4), r);
    if (!v.is_ok()) return v.status();
    page.versions.push_back(std::move(*v));
  }
  return page;
}

}  // namespace carnet::fhir
