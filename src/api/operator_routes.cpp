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

Result<identity::Principal> require_operator(identity::Accounts& accounts, const Request& req) {
  auto who = authenticate(accounts, req);
  if (!who.is_ok()) return who.status();
  if (who->kind != "operator") return Status::forbidden("operator accounts only");
  return who;
}

}  // namespace

std::vector<Route> operator_routes(OperatorDeps d) {
  std::vector<Route> routes;
  routes.push_back({"POST", "/api/v1/operator/enrolments", "", [d](const Request& req) {
                      auto who = require_operator(d.accounts, req);
                      if (!who.is_ok()) return error_response(who.status(), req.request_id);
                      std::string_view type = req.header("content-type");
                      if (type.substr(0, type.find(';')) != "text/csv") {
                        return error_response(415, "unsupported_media_type", "send the file as text/csv", req.request_id);
                      }
                      identity::Enroller enroller(d.store, d.ring, d.clock, {d.opposition_window, 2000});
                      std::string report;
                      auto summary = enroller.run(
                          read_from(req.body),
                          [&](const identity::LineOutcome& o) {
                            nlohmann::json line = {{"line", o.line}, {"status", identity::line_status_name(o.status)}};
                            if (!o.reason.empty()) line["reason"] = o.reason;
                            if (!o.space_id.empty()) line["space_id"] = o.space_id;
                            report += line.dump() + "\n";
                          });
                      if (!summary.is_ok()) return error_response(summary.status(), req.request_id);
                      report += nlohmann::json{{"summary",
                                                {{"lines", summary->lines},
                                                 {"enrolled", summary->enrolled},
                                                 {"already_enrolled", summary->already_enrolled},
                                                 {"objected", summary->objected},
                                                 {"invalid", summary->invalid}}}}
                                    .dump() +
                                "\n";
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
  return routes;
}

}  // namespace carnet::api
