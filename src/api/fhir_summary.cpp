// Patient/$summary (HL7 IPS): the holder's own, or a patient's for a professional.
#include <nlohmann/json.hpp>

#include "api/fhir_handlers.h"
#include "profile/profile.h"

namespace carnet::api::fhir_rest {

Response summary(const FhirServices& s, const Request& req) {
  return with_repository(s, req, store::TxMode::kRead, [&](access::Repository& repo) -> Result<Response> {
    if (!wants_json(req)) return not_acceptable(req);
    auto bundle = profile::patient_summary(repo, req.param("id"), base_url(req));
    if (!bundle.is_ok()) return bundle.status();
    return Response::text(200, bundle->dump(), kFhirJson);
  });
}

}  // namespace carnet::api::fhir_rest
