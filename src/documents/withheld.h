// Results withheld from the patient until an announcement consultation (securityLabel
// INVISIBLE_PATIENT, set by their author): the holder is told, after a while, that a
// document awaits them, and again when it becomes visible (released by the author, or at
// the end of the period). Run by a scheduled job, once across instances.
#pragma once

#include <chrono>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::documents {

struct WithheldNotices {
  int awaiting = 0;
  int released = 0;
};

// Queues the notices now due (at most `batch` of each kind per call).
Result<WithheldNotices> send_withheld_notices(store::Store& store, const crypto::KeyRing& ring, const Clock& clock,
                                              std::chrono::seconds notice_after, int batch = 500);

}  // namespace carnet::documents
