// /api/v1/care: how professionals come to treat a person, and how the holder steers who
// reads their space (access/care.h), plus the readable history of accesses and of the
// holder's own actions (the audit trail). French messages are the portal's; these answers
// carry codes and English messages, as the rest of /api/v1.
#pragma once

#include <vector>

#include "access/care.h"
#include "api/http_types.h"
#include "identity/accounts.h"

namespace carnet::api {

std::vector<Route> care_routes(identity::Accounts& accounts, access::Care& care);

}  // namespace carnet::api
