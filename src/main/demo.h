// `carnet demo`: a small demonstration data set for `make run`, created through the real
// code paths (enrolment file, notices, activation with e-mailed codes). Idempotent: a data
// directory that already has spaces is left alone, and the sign-ins are printed again.
#pragma once

#include <ostream>

#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet {

int seed_demo(store::Store& store, const crypto::KeyRing& ring, std::ostream& out);

}  // namespace carnet
