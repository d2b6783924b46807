#include "api/fhir_routes.h"

#include "api/fhir_documents.h"
#include "api/fhir_handlers.h"

namespace carnet::api {

using namespace fhir_rest;

std::vector<Route> fhir_routes(const FhirServices& services) {
  const FhirServices* s = &services;
  auto handler = [s](Response (*fn)(const FhirServices&, const Request&)) {
    return [s, fn](const Request& req) { return fn(*s, req); };
  };
  // Writes that may carry documents stream their body into the vault as it arrives.
  BodySinkFactory resource_sink = fhir_body_sink(services.vault, kResourceLimit);
  BodySinkFactory bundle_sink = fhir_body_sink(services.vault, 32ull << 20);
  std::vector<Route> routes = {
      {"GET", "/fhir/r4/Patient/$summary", "Patient/$summary", handler(summary)},
      {"GET", "/fhir/r4/Patient/{id}/$summary", "Patient/{id}/$summary", handler(summary)},
      {"GET", "/fhir/r4/{type}/{id}", "", handler(read)},
      {"GET", "/fhir/r4/{type}/{id}/_history/{vid}", "", handler(vread)},
      {"GET", "/fhir/r4/{type}/{id}/_history", "", handler(instance_history)},
      {"POST", "/fhir/r4/{type}", "", handler(create), kDocumentBodyLimit, Execution::kWorker, resource_sink},
      {"PUT", "/fhir/r4/{type}/{id}", "", handler(update), kDocumentBodyLimit, Execution::kWorker, resource_sink},
      {"DELETE", "/fhir/r4/{type}/{id}", "", handler(remove)},
      {"GET", "/fhir/r4/{type}", "", handler(search)},
      {"POST", "/fhir/r4/{type}/_search", "", handler(search), 64 << 10},
      {"GET", "/fhir/r4/{type}/_history", "", handler(type_history)},
      // Some clients (fhir-kit-client) post to the base with a trailing slash.
      {"POST", "/fhir/r4", "", handler(bundle), kDocumentBodyLimit, Execution::kWorker, bundle_sink},
      {"POST", "/fhir/r4/", "", handler(bundle), kDocumentBodyLimit, Execution::kWorker, bundle_sink},
  };
  routes.push_back(capability_route(routes));
  return routes;
}

}  // namespace carnet::api
