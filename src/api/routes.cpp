#include "api/routes.h"

#include "api/account_handlers.h"
#include "api/care_handlers.h"
#include "api/fhir_documents.h"
#include "api/fhir_handlers.h"
#include "api/operator_handlers.h"
#include "api/system_handlers.h"

namespace carnet::api {
namespace {

constexpr uint64_t kSmallJson = 8 * 1024;
constexpr uint64_t kTiny = 1024;
constexpr uint64_t kBundleJson = 32ull << 20;  // a Bundle's JSON, its documents spooled aside
constexpr Execution kInline = Execution::kInline;
constexpr Execution kWorker = Execution::kWorker;

using Fn = Response (*)(const Services&, const Request&);

}  // namespace

std::vector<Route> routes(const Services& services) {
  const Services* s = &services;
  auto h = [s](Fn fn) -> Handler { return [s, fn](const Request& req) { return fn(*s, req); }; };
  auto care = [s](care::CareHandler fn) -> Handler {
    return [s, fn](const Request& req) { return care::as_caller(*s, req, fn); };
  };
  auto fhir = [s](Response (*fn)(const fhir_rest::FhirServices&, const Request&)) -> Handler {
    return [s, fn](const Request& req) { return fn(*s, req); };
  };
  // FHIR writes that may carry documents stream their body into the vault as it arrives.
  BodySinkFactory resource_sink = fhir_rest::fhir_body_sink(services.vault, fhir_rest::kResourceLimit);
  BodySinkFactory bundle_sink = fhir_rest::fhir_body_sink(services.vault, kBundleJson);
  const uint64_t documents = fhir_rest::kDocumentBodyLimit;
  using namespace account;
  using namespace operators;
  std::vector<Route> r = {
      // Operations.
      {"GET", "/healthz", "", [](const Request& req) { return system::healthz(req); }, 0, kInline},
      {"GET", "/readyz", "", [s](const Request& req) { return system::readyz(s->store, req); }},
      {"GET", "/metrics", "", [s](const Request& req) { return system::metrics(s->metrics, req); }, 0, kInline},
      {"POST", "/api/v1/csp-report", "", system::csp_report, system::kCspReportLimit},
      {"GET", "/api/v1/documents/types", "",
       [s](const Request& req) { return system::document_types(s->max_document_bytes, req); }},
      // Enrolled people: opposition; activation, sign-in, sessions, security (account_handlers.h).
      {"POST", "/api/v1/opposition", "", h(oppose), kSmallJson},
      {"POST", "/api/v1/activation", "", h(start_activation), kSmallJson},
      {"POST", "/api/v1/activation/confirm", "", h(confirm_activation), kSmallJson},
      {"POST", "/api/v1/professionals/invitation-requests", "", h(request_invitation), kSmallJson},
      {"POST", "/api/v1/professionals/activation", "", h(start_professional_activation), kSmallJson},
      {"POST", "/api/v1/sign-in", "", h(sign_in), kSmallJson},
      {"POST", "/api/v1/sign-in/verify", "", h(verify_sign_in), kSmallJson},
      {"POST", "/api/v1/sign-out", "", h(sign_out), kTiny},
      {"GET", "/api/v1/me", "", h(me)},
      {"GET", "/api/v1/spaces", "", h(spaces)},
      {"POST", "/api/v1/spaces/{id}/switch", "", h(switch_space), kTiny},
      {"POST", "/api/v1/spaces/{id}/invitations", "", h(invite_representative), kSmallJson},
      {"GET", "/api/v1/sessions", "", h(sessions)},
      {"DELETE", "/api/v1/sessions/{id}", "", h(revoke_session)},
      {"POST", "/api/v1/password", "", h(change_password), kSmallJson},
      {"POST", "/api/v1/password-reset", "", h(request_password_reset), kSmallJson},
      {"POST", "/api/v1/password-reset/confirm", "", h(reset_password), kSmallJson},
      {"POST", "/api/v1/second-factor", "", h(start_factor_change), kSmallJson},
      {"POST", "/api/v1/second-factor/confirm", "", h(confirm_factor_change), kSmallJson},
      {"POST", "/api/v1/recovery-codes", "", h(renew_recovery_codes), kSmallJson},
      // Operators (operator_handlers.h).
      {"POST", "/api/v1/operator/enrolments", "", h(upload_enrolment), kEnrolmentUploadLimit},
      {"POST", "/api/v1/operator/provisional-codes", "", h(regenerate_code), kSmallJson},
      {"POST", "/api/v1/operator/professional-invitations", "", h(invite_professional), kSmallJson},
      {"GET", "/api/v1/operator/statistics", "", h(statistics)},
      {"POST", "/api/v1/operator/directory", "", h(import_directory), kDirectoryUploadLimit},
      {"GET", "/api/v1/operator/access-matrix", "", h(access_matrix)},
      {"PUT", "/api/v1/operator/access-matrix", "", h(replace_access_matrix), 1 << 20},
      // Care relationships and the holder's controls (care_handlers.h).
      {"POST", "/api/v1/care/patients/lookup", "", care(care::find_patient), kSmallJson},
      {"POST", "/api/v1/care/spaces/{space}/care-team", "", care(care::declare_care_team), kSmallJson},
      {"POST", "/api/v1/care/spaces/{space}/emergency", "", care(care::emergency_access), kSmallJson},
      {"POST", "/api/v1/care/spaces/{space}/consent", "", care(care::consent_with_code), kSmallJson},
      {"POST", "/api/v1/care/consultation-codes", "", care(care::consultation_code)},
      {"GET", "/api/v1/care/relationships", "", care(care::relationships)},
      {"DELETE", "/api/v1/care/relationships/{idnatps}", "", care(care::remove_relationship)},
      {"PUT", "/api/v1/care/designated-physician", "", care(care::designate_physician), kSmallJson},
      {"POST", "/api/v1/care/consents", "", care(care::grant_consent), kSmallJson},
      {"GET", "/api/v1/care/blocks", "", care(care::blocks)},
      {"PUT", "/api/v1/care/blocks/{idnatps}", "", care(care::block), kSmallJson},
      {"DELETE", "/api/v1/care/blocks/{idnatps}", "", care(care::unblock)},
      {"GET", "/api/v1/care/hidden", "", care(care::hidden)},
      {"PUT", "/api/v1/care/hidden/{type}/{id}", "", care(care::set_hidden), kSmallJson},
      {"GET", "/api/v1/care/settings", "", care(care::settings)},
      {"PUT", "/api/v1/care/settings", "", care(care::set_settings), kSmallJson},
      {"GET", "/api/v1/care/delegations", "", care(care::delegations)},
      {"POST", "/api/v1/care/delegations", "", care(care::delegate), kSmallJson},
      {"DELETE", "/api/v1/care/delegations/{space}", "", care(care::revoke_delegation)},
      {"GET", "/api/v1/care/notifications", "", care(care::notifications)},
      {"PUT", "/api/v1/care/notifications/{kind}", "", care(care::set_notification), kSmallJson},
      {"GET", "/api/v1/care/history", "", care(care::history)},
      {"GET", "/api/v1/care/my-actions", "", care(care::my_actions)},
      // FHIR R4 (fhir_handlers.h), through the caller's repository.
      {"GET", "/fhir/r4/Patient/$summary", "Patient/$summary", fhir(fhir_rest::summary)},
      {"GET", "/fhir/r4/Patient/{id}/$summary", "Patient/{id}/$summary", fhir(fhir_rest::summary)},
      {"GET", "/fhir/r4/{type}/{id}", "", fhir(fhir_rest::read)},
      {"GET", "/fhir/r4/{type}/{id}/_history/{vid}", "", fhir(fhir_rest::vread)},
      {"GET", "/fhir/r4/{type}/{id}/_history", "", fhir(fhir_rest::instance_history)},
      {"GET", "/fhir/r4/{type}/_history", "", fhir(fhir_rest::type_history)},
      {"POST", "/fhir/r4/{type}", "", fhir(fhir_rest::create), documents, kWorker, resource_sink},
      {"PUT", "/fhir/r4/{type}/{id}", "", fhir(fhir_rest::update), documents, kWorker, resource_sink},
      {"DELETE", "/fhir/r4/{type}/{id}", "", fhir(fhir_rest::remove)},
      {"GET", "/fhir/r4/{type}", "", fhir(fhir_rest::search)},
      {"POST", "/fhir/r4/{type}/_search", "", fhir(fhir_rest::search), 64 << 10},
      // Some clients (fhir-kit-client) post to the base with a trailing slash.
      {"POST", "/fhir/r4", "", fhir(fhir_rest::bundle), documents, kWorker, bundle_sink},
      {"POST", "/fhir/r4/", "", fhir(fhir_rest::bundle), documents, kWorker, bundle_sink},
  };
  // GET /fhir/r4/metadata: what the FHIR routes above make work.
  r.push_back(fhir_rest::capability_route(r));
  return r;
}

}  // namespace carnet::api
