// FHIR delete: DELETE {type}/{id} (a deletion version; a document's bytes go with it).
#include "api/fhir_handlers.h"

namespace carnet::api::fhir_rest {

Response remove(const FhirServices& s, const Request& req) {
  return with_repository(s, req, store::TxMode::kWrite, [&](access::Repository& repo) -> Result<Response> {
    auto v = repo.remove(req.param("type"), req.param("id"));
    if (!v.is_ok()) return v.status();
    Response r = Response::empty(204);
    if (*v) r.set_header("ETag", "W/\"" + std::to_string(**v) + "\"");
    return r;
  }, /*remembered=*/true);
}

}  // namespace carnet::api::fhir_rest
