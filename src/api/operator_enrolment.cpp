// Operators: enrolment files, provisional codes, professionals' invitations, counts.
#include <nlohmann/json.hpp>

#include "api/json_body.h"
#include "api/operator_handlers.h"
#include "core/csv.h"
#include "core/log.h"
#include "identity/enrolment.h"

namespace carnet::api::operators {

Response upload_enrolment(const Services& svc, const Request& req) {
  auto who = authenticate_operator(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  if (!is_text_upload(req, {"text/csv"})) {
    return error_response(415, "unsupported_media_type", "send the file as text/csv", req.request_id);
  }
  identity::Enroller enroller(svc.store, svc.ring, svc.clock, {svc.opposition_window, 2000});
  std::string report;
  auto summary = enroller.run(read_from(req.body), [&](const identity::LineOutcome& o) {
    report += enrolment_line_json(o).dump() + "\n";
  });
  if (!summary.is_ok()) return error_response(summary.status(), req.request_id);
  report += enrolment_summary_json(*summary).dump() + "\n";
  log::info("enrolment_uploaded", {{"operator", who->account_id}, {"lines", summary->lines},
                                   {"enrolled", summary->enrolled}, {"invalid", summary->invalid}});
  return Response::text(200, std::move(report), "application/x-ndjson");
}

Response regenerate_code(const Services& svc, const Request& req) {
  auto who = authenticate_operator(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto f = read_string_fields(req, {"nir"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  Status s = svc.spaces.regenerate_code((*f)["nir"], svc.opposition_window);
  if (!s.is_ok()) return error_response(s, req.request_id);
  log::info("provisional_code_regenerated", {{"operator", who->account_id}});
  return Response::json(200, "{\"status\":\"sent\"}");
}

Response invite_professional(const Services& svc, const Request& req) {
  auto who = authenticate_operator(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto f = read_string_fields(req, {"idnatps", "email"});
  if (!f.is_ok()) return error_response(f.status(), req.request_id);
  Status s = svc.accounts.invite_professional((*f)["idnatps"], (*f)["email"]);
  if (!s.is_ok()) return error_response(s, req.request_id);
  log::info("professional_invited", {{"operator", who->account_id}});
  return Response::empty(202);
}

Response statistics(const Services& svc, const Request& req) {
  auto who = authenticate_operator(svc.accounts, req);
  if (!who.is_ok()) return error_response(who.status(), req.request_id);
  auto st = svc.spaces.statistics();
  if (!st.is_ok()) return error_response(st.status(), req.request_id);
  return Response::json(200, nlohmann::json{{"spaces", st->spaces_by_state},
                                            {"activated", st->activated},
                                            {"activated_last_30_days", st->activated_last_30_days},
                                            {"professionals", st->professionals},
                                            {"professional_accounts", st->professional_accounts},
                                            {"at", st->at}}
                                 .dump());
}

}  // namespace carnet::api::operators
