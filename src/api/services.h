// What the handlers of carnetd run with: the services wired in main/app.cpp, one per process.
// Handlers take what they need from it; the route table (routes.cpp) binds them.
#pragma once

#include <chrono>
#include <cstdint>

#include "access/care.h"
#include "access/reference_data.h"
#include "access/repository.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "documents/vault.h"
#include "identity/accounts.h"
#include "identity/spaces.h"
#include "store/store.h"

namespace carnet {
class Metrics;
}

namespace carnet::api {

struct Services {
  store::Store& store;  // readiness and the operator's imports
  const Metrics& metrics;
  identity::Accounts& accounts;
  identity::Spaces& spaces;
  access::Care& care;
  access::Repositories& repositories;  // the one path to health data
  const access::ReferenceData& reference;
  documents::Vault& vault;
  const crypto::KeyRing& ring;
  const Clock& clock;
  std::chrono::seconds session_lifetime;       // a session cookie's Max-Age
  std::chrono::milliseconds opposition_window;  // for enrolments uploaded by operators
  uint64_t max_document_bytes;
};

}  // namespace carnet::api
