// Operators: the professionals' directory and the access matrix (reference data).
#include <nlohmann/json.hpp>

#include "api/json_body.h"
#include "api/operator_handlers.h"
#include "core/csv.h"
#include "core/log.h"
#include "identity/directory.h"

namespace carnet::api::operators {
namespace {

nlohmann::json matrix_rows(const access::Matrix& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [code, label] : m.professions()) {
    for (std::string_view c : access::kCategories) {
      rows.push_back({{"profession_code", code}, {"profession_label", label}, {"category", c}, {"allowed", m.allows(code, c)}});
    }
  }
  return rows;
}

// {rows: [{profession_code, profession_label, category, allowed}]}: every profession named
// must have every category (a matrix with holes would silently refuse).
Result<access::Matrix> matrix_from(const Request& req) {
  if (!is_text_upload(req, {"application/json"})) return Status::invalid("send application/json");
  auto doc = nlohmann::json::parse(req.body, nullptr, false);
  if (!doc.is_object() || doc.size() != 1 || !doc.contains("rows") || !doc["rows"].is_array()) {
    return Status::invalid("the body must be {\"rows\": [...]}");
  }
  access::Matrix m;
  std::map<std::string, size_t> cells;
  size_t i = 0;
  for (const auto& row : doc["rows"]) {
    std::string where = "rows[" + std::to_string(i++) + "]";
    if (!row.is_object() || row.size() != 4) return Status::invalid(where + ": four fields expected");
    for (const char* f : {"profession_code", "profession_label", "category"}) {
      if (!row.contains(f) || !row[f].is_string()) return Status::invalid(where + ": '" + f + "' must be a string");
    }
    if (!row.contains("allowed") || !row["allowed"].is_boolean()) return Status::invalid(where + ": 'allowed' must be true or false");
    std::string code = row["profession_code"];
    CARNET_RETURN_IF_ERROR(m.add(code, row["profession_label"], row["category"], row["allowed"]).with_context(where));
    cells[code]++;
  }
  if (cells.empty()) return Status::invalid("the matrix has no rows");
  for (const auto& [code, n] : cells) {
    if (n != std::size(access::kCategories)) {
      return Status::invalid("profession " + code + ": one row per category expected (" +
                             std::to_string(std::size(access::kCategories)) + ")");
    }
  }
  return m;
}

}  // namespace

Response import_directory(const Services& svc, const Request& req) {
  auto who = authenticate_operator(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  if (!is_text_upload(req, {"text/plain", "text/csv"})) {
    return error_response(415, "unsupported_media_type", "send the extraction as text/plain", req.request_id);
  }
  identity::DirectoryImporter importer(svc.store, svc.ring, svc.clock);
  nlohmann::json errors = nlohmann::json::array();
  auto summary = importer.run(read_from(req.body), [&](const identity::DirectoryLineError& e) {
    if (errors.size() < kReportedDirectoryErrors) errors.push_back({{"line", e.line}, {"reason", e.reason}});
  });
  if (!summary.is_ok()) return error_response(summary.status(), req.request_id);
  svc.reference.drop_caches();
  auto out = directory_summary_json(*summary);
  out["invalid_lines"] = std::move(errors);
  log::info("directory_imported", {{"operator", who->account_id}, {"lines", summary->lines},
                                   {"invalid", summary->invalid}});
  return Response::json(200, out.dump());
}

Response access_matrix(const Services& svc, const Request& req) {
  auto who = authenticate_operator(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto m = access::ReferenceData::operator_read_matrix(svc.store);
  if (!m.is_ok()) return error_response(m.status(), req.request_id);
  nlohmann::json rows = matrix_rows(*m);
  return Response::json(200, nlohmann::json{{"rows", rows}}.dump());
}

Response replace_access_matrix(const Services& svc, const Request& req) {
  auto who = authenticate_operator(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto m = matrix_from(req);
  if (!m.is_ok()) return error_response(m.status(), req.request_id);
  Status s = access::ReferenceData::operator_replace_matrix(svc.store, *m);
  if (!s.is_ok()) return error_response(s, req.request_id);
  svc.reference.drop_caches();
  log::info("access_matrix_replaced", {{"operator", who->account_id}, {"professions", m->professions().size()}});
  return Response::empty(204);
}

}  // namespace carnet::api::operators
