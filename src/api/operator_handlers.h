// /api/v1/operator handlers: operators enrol people, resend provisional codes, invite
// professionals, read counts, import the directory and edit the access matrix — never health
// content. Every handler checks the operator's session first. Routes: routes.cpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "api/authentication.h"
#include "api/http_types.h"
#include "api/services.h"
#include "identity/directory.h"
#include "identity/enrolment.h"

namespace carnet::api {

// The reports' lines, the same from the command line and over HTTP.
nlohmann::json enrolment_line_json(const identity::LineOutcome& o);
nlohmann::json enrolment_summary_json(const identity::EnrolmentSummary& s);
nlohmann::json directory_summary_json(const identity::DirectorySummary& s);

}  // namespace carnet::api

namespace carnet::api::operators {

inline constexpr uint64_t kEnrolmentUploadLimit = 64ull << 20;
inline constexpr uint64_t kDirectoryUploadLimit = 256ull << 20;
inline constexpr size_t kReportedDirectoryErrors = 1000;

Response upload_enrolment(const Services& svc, const Request& req);  // POST /api/v1/operator/enrolments
Response regenerate_code(const Services& svc, const Request& req);  // POST /api/v1/operator/provisional-codes
Response invite_professional(const Services& svc, const Request& req);  // POST /api/v1/operator/professional-invitations
Response statistics(const Services& svc, const Request& req);  // GET /api/v1/operator/statistics
Response import_directory(const Services& svc, const Request& req);  // POST /api/v1/operator/directory
Response access_matrix(const Services& svc, const Request& req);  // GET /api/v1/operator/access-matrix
Response replace_access_matrix(const Services& svc, const Request& req);  // PUT /api/v1/operator/access-matrix

// The request's Content-Type is one of `types`.
bool is_text_upload(const Request& req, std::initializer_list<std::string_view> types);

}  // namespace carnet::api::operators
