#include "identity/directory.h"

#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <vector>

#include "fhir/stored_json.h"
#include "core/csv.h"
#include "core/encoding.h"
#include "crypto/random.h"

namespace carnet::identity {
namespace {

using json = nlohmann::json;

constexpr size_t kBatch = 1000;
constexpr char kProfessionSystem[] =
    "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante";

enum Col {
  kIdNatPs, kRpps, kCivilite, kNom, kPrenom, kProfCode, kProfLabel, kSfCode, kSfLabel, kMode, kStructId,
  kRaison, kEnseigne, kNumVoie, kTypeVoie, kVoie, kCp, kCommune, kTel, kMail, kSiret, kFiness, kColCount
};
constexpr std::array<std::string_view, kColCount> kColumns = {
    "Identification nationale PP", "Identifiant PP", "Libellé civilité d'exercice", "Nom d'exercice",
    "Prénom d'exercice", "Code profession", "Libellé profession", "Code savoir-faire", "Libellé savoir-faire",
    "Code mode exercice", "Identifiant technique de la structure", "Raison sociale site", "Enseigne commerciale site",
    "Numéro Voie (coord. structure)", "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Code postal (coord. structure)", "Libellé commune (coord. structure)", "Téléphone (coord. structure)",
    "Adresse e-mail (coord. structure)", "Numéro SIRET site", "Numéro FINESS site"};
constexpr Col kRequired[] = {kIdNatPs, kNom, kProfCode};

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// A FHIR id from a natural key: kept when already valid, else a digest.
std::string stable_id(std::string_view prefix, std::string_view key) {
  bool ok = !key.empty() && key.size() + prefix.size() <= 64;
  for (char c : key) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  if (ok) return std::string(prefix) + std::string(key);
  return std::string(prefix) + hex_encode(crypto::digest(key).substr(0, 16));
}

struct Entry {
  std::string type, key, id;
  json resource;
};

}  // namespace

std::string practitioner_id(const std::string& idnatps) { return stable_id("", idnatps); }

DirectoryImporter::DirectoryImporter(store::Store& store, const crypto::KeyRing& ring, const Clock& clock)
    : store_(store), ring_(ring), clock_(clock) {}

namespace {

// Creates or updates one directory resource by natural key; counts what it did.
Status upsert(store::Transaction& tx, fhir::ResourceStore& resources, const Entry& e, const std::string& stamp,
              size_t& created, size_t& updated) {
  std::string body = e.resource.dump();
  std::string hash = crypto::digest(body);
  auto row = tx.query_one("SELECT content_hash, active FROM directory_entries WHERE resource_type = ? AND natural_key = ?",
                          {e.type, e.key});
  if (!row.is_ok()) return row.status();
  if (!*row) {
    auto r = resources.update(tx, fhir::kDirectoryCompartment, e.type, e.id, body);
    if (!r.is_ok()) return r.status();
    created++;
    return tx.exec("INSERT INTO directory_entries (resource_type, natural_key, resource_id, content_hash, last_import) "
                   "VALUES (?, ?, ?, ?, ?)",
                   {e.type, e.key, e.id, store::Blob{hash}, stamp})
        .status();
  }
  if ((*row)->text(0) != hash || (*row)->integer(1) == 0) {
    auto r = resources.update(tx, fhir::kDirectoryCompartment, e.type, e.id, body);
    if (!r.is_ok()) return r.status();
    updated++;
  }
  return tx.exec("UPDATE directory_entries SET content_hash = ?, active = 1, last_import = ? "
                 "WHERE resource_type = ? AND natural_key = ?",
                 {store::Blob{hash}, stamp, e.type, e.key})
      .status();
}

// One line of the extraction, by column.
struct Line {
  const std::vector<std::string>& fields;
  const std::array<int, kColCount>& index;
  std::string col(Col c) const {
    return index[c] >= 0 && size_t(index[c]) < fields.size() ? trim(fields[size_t(index[c])]) : std::string();
  }
};

// The resources a valid line describes: the practitioner, their structure (Organization) if
// any, and their role there.
void entries_of(const Line& line, const std::string& idnatps, const std::string& nom, const std::string& prof,
                std::vector<Entry>& batch) {
  auto col = [&](Col c) { return line.col(c); };
    json profession = {{"coding", {{{"system", kProfessionSystem}, {"code", prof}, {"display", col(kProfLabel)}}}}};
    json practitioner = {{"resourceType", "Practitioner"},
                         {"identifier", {{{"system", kIdNatPsSystem}, {"value", idnatps}}}},
                         {"active", true},
                         {"name", {{{"use", "official"}, {"family", nom}}}},
                         {"qualification", {{{"code", profession}}}}};
    if (!col(kPrenom).empty()) practitioner["name"][0]["given"] = {col(kPrenom)};
    if (!col(kCivilite).empty()) practitioner["name"][0]["prefix"] = {col(kCivilite)};
    std::string pid = practitioner_id(idnatps);
    batch.push_back({"Practitioner", idnatps, pid, practitioner});

    std::string structure = col(kStructId);
    json telecom = json::array();
    if (!col(kTel).empty()) telecom.push_back({{"system", "phone"}, {"value", col(kTel)}, {"use", "work"}});
    if (!col(kMail).empty()) telecom.push_back({{"system", "email"}, {"value", col(kMail)}, {"use", "work"}});
    std::string org_id;
    if (!structure.empty()) {
      org_id = stable_id("org-", structure);
      std::string name = !col(kRaison).empty() ? col(kRaison) : col(kEnseigne);
      json org = {{"resourceType", "Organization"}, {"active", true}, {"identifier", json::array()}};
      org["identifier"].push_back({{"type", {{"text", "Identifiant technique de la structure (RPPS)"}}}, {"value", structure}});
      if (!col(kSiret).empty()) org["identifier"].push_back({{"type", {{"text", "SIRET"}}}, {"value", col(kSiret)}});
      if (!col(kFiness).empty()) org["identifier"].push_back({{"type", {{"text", "FINESS"}}}, {"value", col(kFiness)}});
      if (!name.empty()) org["name"] = name;
      std::string line = trim(col(kNumVoie) + " " + col(kTypeVoie) + " " + col(kVoie));
      if (!line.empty() || !col(kCp).empty()) {
        json address = {{"country", "FR"}};
        if (!line.empty()) address["line"] = {line};
        if (!col(kCp).empty()) address["postalCode"] = col(kCp);
        if (!col(kCommune).empty()) address["city"] = col(kCommune);
        org["address"] = {address};
      }
      if (!telecom.empty()) org["telecom"] = telecom;
      batch.push_back({"Organization", structure, org_id, org});
    }
    std::string role_key = idnatps + "|" + structure + "|" + prof + "|" + col(kSfCode);
    json role = {{"resourceType", "PractitionerRole"},
                 {"active", true},
                 {"practitioner", {{"reference", "Practitioner/" + pid}}},
                 {"code", {profession}}};
    if (!org_id.empty()) role["organization"] = {{"reference", "Organization/" + org_id}};
    if (!col(kSfCode).empty()) {
      role["specialty"] = {{{"coding", {{{"code", col(kSfCode)}, {"display", col(kSfLabel)}}}}}};
    }
    if (!telecom.empty()) role["telecom"] = telecom;
    batch.push_back({"PractitionerRole", role_key, stable_id("role-", role_key), role});
}

// What the file no longer lists becomes inactive, 500 at a time; how many.
Result<size_t> deactivate_unlisted(store::Store& store, fhir::ResourceStore& resources, const char* type,
                                   const std::string& stamp) {
  size_t total = 0;
  for (;;) {
    std::vector<std::string> ids;
    Status s = store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
      ids.clear();
      CARNET_RETURN_IF_ERROR(tx.query_each(
          "SELECT natural_key, resource_id FROM directory_entries WHERE resource_type = ? AND active = 1 AND "
          "last_import <> ? LIMIT 500",
          {std::string(type), stamp}, [&](const store::Row& r) {
            ids.push_back(r.text(0) + "\n" + r.text(1));
            return Status::ok();
          }));
      for (const auto& both : ids) {
        std::string key = both.substr(0, both.find('\n')), id = both.substr(both.find('\n') + 1);
        auto current = resources.read(tx, fhir::kDirectoryCompartment, type, id);
        if (!current.is_ok()) return current.status();
        auto parsed = fhir::parse_stored(current->json, "directory entry");
        if (!parsed.is_ok()) return parsed.status();
        json doc = std::move(*parsed);
        doc["active"] = false;
        doc.erase("meta");
        auto upd = resources.update(tx, fhir::kDirectoryCompartment, type, id, doc.dump());
        if (!upd.is_ok()) return upd.status();
        auto e = tx.exec("UPDATE directory_entries SET active = 0 WHERE resource_type = ? AND natural_key = ?",
                         {std::string(type), key});
        if (!e.is_ok()) return e.status();
      }
      return ids.empty() ? Status::ok() : store::bump_reference_version(tx);
    });
    if (!s.is_ok()) return s;
    total += ids.size();
    if (ids.size() < 500) return total;
  }
}

}  // namespace

Result<DirectorySummary> DirectoryImporter::run(const std::function<Result<size_t>(char*, size_t)>& source,
                                                const std::function<void(const DirectoryLineError&)>& on_error) {
  DirectorySummary summary;
  std::array<int, kColCount> index;
  index.fill(-1);
  bool header = false;
  const std::string stamp = format_instant(clock_.now());
  fhir::ResourceStore resources(ring_, clock_);
  std::vector<Entry> batch;

  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::ok();
    DirectorySummary before = summary;
    Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
      summary = before;  // the store may retry this function
      for (const Entry& e : batch) {
        if (e.type == "Practitioner") {
          CARNET_RETURN_IF_ERROR(upsert(tx, resources, e, stamp, summary.practitioners_created, summary.practitioners_updated));
        } else if (e.type == "Organization") {
          CARNET_RETURN_IF_ERROR(upsert(tx, resources, e, stamp, summary.organizations_created, summary.organizations_updated));
        } else {
          CARNET_RETURN_IF_ERROR(upsert(tx, resources, e, stamp, summary.roles_created, summary.roles_updated));
        }
      }
      bool changed = summary.practitioners_created + summary.practitioners_updated + summary.organizations_created +
                         summary.organizations_updated + summary.roles_created + summary.roles_updated !=
                     before.practitioners_created + before.practitioners_updated + before.organizations_created +
                         before.organizations_updated + before.roles_created + before.roles_updated;
      return changed ? store::bump_reference_version(tx) : Status::ok();  // instances' caches
    });
    batch.clear();
    return s;
  };

  CsvReader reader('|', [&](size_t record, std::vector<std::string>& f) -> Status {
    if (!header) {
      header = true;
      for (size_t i = 0; i < f.size(); ++i) {
        std::string name = trim(f[i]);
        if (i == 0 && name.rfind("\xEF\xBB\xBF", 0) == 0) name.erase(0, 3);
        for (size_t c = 0; c < kColCount; ++c) {
          if (name == kColumns[c] && index[c] < 0) index[c] = int(i);
        }
      }
      for (Col c : kRequired) {
        if (index[c] < 0) return Status::invalid("header: missing column '" + std::string(kColumns[c]) + "'");
      }
      return Status::ok();
    }
    summary.lines++;
    Line line{f, index};
    std::string idnatps = line.col(kIdNatPs), nom = line.col(kNom), prof = line.col(kProfCode);
    bool digits = !idnatps.empty() && idnatps.size() <= 20 &&
                  idnatps.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || nom.empty() || prof.empty()) {
      summary.invalid++;
      on_error({record, !digits ? "invalid IdNatPs '" + idnatps.substr(0, 30) + "'" : "missing name or profession code"});
      return Status::ok();
    }
    entries_of(line, idnatps, nom, prof, batch);
    if (batch.size() >= kBatch) return flush();
    return Status::ok();
  }, /*quoting=*/false);

  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto n = source(buf.data(), buf.size());
    if (!n.is_ok()) return n.status();
    if (*n == 0) break;
    CARNET_RETURN_IF_ERROR(reader.feed(std::string_view(buf.data(), *n)));
  }
  CARNET_RETURN_IF_ERROR(reader.finish());
  if (!header) return Status::invalid("the file is empty (a header line is required)");
  CARNET_RETURN_IF_ERROR(flush());

  // What the file no longer lists: practitioners and roles become inactive (kept, for the
  // documents and messages that refer to them).
  for (const char* type : {"Practitioner", "PractitionerRole"}) {
    auto n = deactivate_unlisted(store_, resources, type, stamp);
    if (!n.is_ok()) return n.status();
    (std::string(type) == "Practitioner" ? summary.practitioners_deactivated : summary.roles_deactivated) += *n;
  }
  return summary;
}

}  // namespace carnet::identity
