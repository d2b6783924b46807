#include "api/operator_routes.h"

#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "api/account_routes.h"
#include "api/json_body.h"
#include "core/log.h"
#include "identity/enrolment.h"

namespace carnet::api {
namespace {

constexpr uint64_t kEnrolmentUploadLimit = 64ull << 20;
constexpr uint64_t kDirectoryUploadLimit = 256ull << 20;
constexpr size_t kReportedDirectoryErrors = 1000;

Result<identity::Principal> require_operator(identity::Accounts& accounts, const Request& req) {
  auto who = authenticate(accounts, req);
  if (!who.is_ok()) return who.status();
  if (who->kind != "operator") return Status::forbidden("operator accounts only");
  return who;
}

bool is_text_upload(const Request& req, std::initializer_list<std::string_view> types) {
  std::string_view type = req.header("content-type");
  type = type.substr(0, type.find(';'));
  for (auto t : types) {
    if (type == t) return true;
  }
  return false;
}

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

nlohmann::json enrolment_line_json(const identity::LineOutcome& o) {
  nlohmann::json line = {{"line", o.line}, {"status", identity::line_status_name(o.status)}};
  if (!o.reason.empty()) line["reason"] = o.reason;
  if (!o.space_id.empty()) line["space_id"] = o.space_id;
  return line;
}

nlohmann::json enrolment_summary_json(const identity::EnrolmentSummary& s) {
  return {{"summary",
           {{"lines", s.lines},
            {"enrolled", s.enrolled},
            {"already_enrolled", s.already_enrolled},
            {"objected", s.objected},
            {"invalid", s.invalid}}}};
}

nlohmann::json directory_summary_json(const identity::DirectorySummary& s) {
  return {{"summary",
           {{"lines", s.lines},
            {"invalid", s.invalid},
            {"practitioners",
             {{"created", s.practitioners_created}, {"updated", s.practitioners_updated}, {"deactivated", s.practitioners_deactivated}}},
            {"roles", {{"created", s.roles_created}, {"updated", s.roles_updated}, {"deactivated", s.roles_deactivated}}},
            {"organizations", {{"created", s.organizations_created}, {"updated", s.organizations_updated}}}}}};
}

std::vector<Route> operator_routes(OperatorDeps d) {
  std::vector<Route> routes;
  routes.push_back({"POST", "/api/v1/operator/enrolments", "", [d](const Request& req) {
                      auto who = require_operator(d.accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      if (!is_text_upload(req, {"text/csv"})) {
                        return error_response(415, "unsupported_media_type", "send the file as text/csv", req.request_id);
                      }
                      identity::Enroller enroller(d.store, d.ring, d.clock, {d.opposition_window, 2000});
                      std::string report;
                      auto summary = enroller.run(read_from(req.body), [&](const identity::LineOutcome& o) {
                        report += enrolment_line_json(o).dump() + "\n";
                      });
                      if (!summary.is_ok()) return error_response(summary.status(), req.request_id);
                      report += enrolment_summary_json(*summary).dump() + "\n";
                      log::info("enrolment_uploaded", {{"operator", who->account_id}, {"lines", summary->lines},
                                                       {"enrolled", summary->enrolled}, {"invalid", summary->invalid}});
                      return Response::text(200, std::move(report), "application/x-ndjson");
                    }, kEnrolmentUploadLimit});
  routes.push_back({"POST", "/api/v1/operator/provisional-codes", "", [d](const Request& req) {
                      auto who = require_operator(d.accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto f = read_string_fields(req, {"nir"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      Status s = d.spaces.regenerate_code((*f)["nir"], d.opposition_window);
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      log::info("provisional_code_regenerated", {{"operator", who->account_id}});
                      return Response::json(200, "{\"status\":\"sent\"}");
                    }, 4096});
  routes.push_back({"POST", "/api/v1/operator/professional-invitations", "", [d](const Request& req) {
                      auto who = require_operator(d.accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto f = read_string_fields(req, {"idnatps", "email"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      Status s = d.accounts.invite_professional((*f)["idnatps"], (*f)["email"]);
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      log::info("professional_invited", {{"operator", who->account_id}});
                      return Response::empty(202);
                    }, 4096});
  routes.push_back({"GET", "/api/v1/operator/statistics", "", [d](const Request& req) {
                      auto who = require_operator(d.accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto st = d.spaces.statistics();
                      if (!st.is_ok()) return error_response(st.status(), req.request_id);
                      return Response::json(200, nlohmann::json{{"spaces", st->spaces_by_state},
                                                                {"activated", st->activated},
                                                                {"activated_last_30_days", st->activated_last_30_days},
                                                                {"professionals", st->professionals},
                                                                {"professional_accounts", st->professional_accounts},
                                                                {"at", st->at}}
                                                     .dump());
                    }});
  routes.push_back({"POST", "/api/v1/operator/directory", "", [d](const Request& req) {
                      auto who = require_operator(d.accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      if (!is_text_upload(req, {"text/plain", "text/csv"})) {
                        return error_response(415, "unsupported_media_type", "send the extraction as text/plain", req.request_id);
                      }
                      identity::DirectoryImporter importer(d.store, d.ring, d.clock);
                      nlohmann::json errors = nlohmann::json::array();
                      auto summary = importer.run(read_from(req.body), [&](const identity::DirectoryLineError& e) {
                        if (errors.size() < kReportedDirectoryErrors) errors.push_back({{"line", e.line}, {"reason", e.reason}});
                      });
                      if (!summary.is_ok()) return error_response(summary.status(), req.request_id);
                      d.reference.drop_caches();
                      auto out = directory_summary_json(*summary);
                      out["invalid_lines"] = std::move(errors);
                      log::info("directory_imported", {{"operator", who->account_id}, {"lines", summary->lines},
                                                       {"invalid", summary->invalid}});
                      return Response::json(200, out.dump());
                    }, kDirectoryUploadLimit});
  routes.push_back({"GET", "/api/v1/operator/access-matrix", "", [d](const Request& req) {
                      auto who = require_operator(d.accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto m = access::ReferenceData::operator_read_matrix(d.store);
                      if (!m.is_ok()) return error_response(m.status(), req.request_id);
                      nlohmann::json rows = matrix_rows(*m);
                      return Response::json(200, nlohmann::json{{"rows", rows}}.dump());
                    }});
  routes.push_back({"PUT", "/api/v1/operator/access-matrix", "", [d](const Request& req) {
                      auto who = require_operator(d.accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      auto m = matrix_from(req);
                      if (!m.is_ok()) return error_response(m.status(), req.request_id);
                      Status s = access::ReferenceData::operator_replace_matrix(d.store, *m);
                      if (!s.is_ok()) return error_response(s, req.request_id);
                      d.reference.drop_caches();
                      log::info("access_matrix_replaced", {{"operator", who->account_id}, {"professions", m->professions().size()}});
                      return Response::empty(204);
                    }, 1 << 20});
  return routes;
}

}  // namespace carnet::api
