// For the backends: a transaction attempt is retried while it fails with kBusy (a
// serialization failure, a deadlock, a locked database), with randomised exponential
// back-off: 1, 2, 4... ms, capped at 64 ms, full jitter.
#pragma once

#include <functional>

#include "core/status.h"

namespace carnet::store {

class Transaction;

Status retry_busy(int max_attempts, const std::function<Status()>& attempt);

// A transaction's function, run: an exception it throws, of any type, is its failure
// (kInternal), so that its transaction is rolled back and the writers after it go on.
Status run_function(const std::function<Status(Transaction&)>& fn, Transaction& tx);

}  // namespace carnet::store
