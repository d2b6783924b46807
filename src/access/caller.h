// Who asks, as the api layer knows them after authentication.
#pragma once

#include <optional>
#include <string>

#include "access/policy.h"
#include "store/store.h"

namespace carnet::access {

struct Caller {
  Actor actor;
  std::string own_space;        // a holder's own space
  std::string acting_space;     // the space a holder or representative acts in
  std::string client_address;
  // Set when the session was not read for this request (identity::Accounts::remembered): the
  // repository confirms it in its first statement, and answers kUnauthenticated when it no
  // longer stands.
  std::optional<store::Condition> unconfirmed_session;
};

}  // namespace carnet::access
