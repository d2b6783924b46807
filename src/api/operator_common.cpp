#include "api/operator_handlers.h"

#include <nlohmann/json.hpp>

namespace carnet::api::operators {

bool is_text_upload(const Request& req, std::initializer_list<std::string_view> types) {
  std::string_view type = req.header("content-type");
  type = type.substr(0, type.find(';'));
  for (auto t : types) {
    if (type == t) return true;
  }
  return false;
}

}  // namespace carnet::api::operators

namespace carnet::api {

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

}  // namespace carnet::api
