// For the backends: a transaction attempt is retried while it fails with kBusy (a
// serialization failure, a deadlock, a locked database), with randomised exponential
// back-off: 1, 2, 4... ms, capped at 64 ms, full jitter.
#pragma once

#include <functional>

#include "core/status.h"

namespace carnet::store {

Status retry_busy(int max_attempts, const std::function<Status()>& attempt);

}  // namespace carnet::store
