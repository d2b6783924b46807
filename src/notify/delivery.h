// Delivery of outbox notices. Adapters: the notices file (default: one JSON object per line
// in <data-dir>/notices.jsonl, read by the demo and tests, or handed to a mailing house),
// and later SMTP relay (e-mail) and an HTTP SMS gateway.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "notify/outbox.h"
#include "notify/templates.h"
#include "store/store.h"

namespace carnet::notify {


class Deliverer {
 public:
  virtual ~Deliverer() = default;
  // Sends one notice; kUnavailable for a transient failure (retried later).
  virtual Status deliver(int64_t id, const Notice& notice, const Rendered& rendered) = 0;
};

// Appends each notice as a JSON line and fsyncs before it is marked sent.
std::unique_ptr<Deliverer> make_file_deliverer(std::string path);

struct DeliveryReport {
  int sent = 0, failed = 0, retried = 0;
};

// Delivers up to `limit` pending notices whose time has come. A delivered notice is marked
// sent and its sealed payload erased (it may hold a provisional code); a transient failure
// is retried with exponential back-off; after `max_attempts` it is marked failed.
Result<DeliveryReport> deliver_pending(store::Store& store, const Outbox& outbox, Deliverer& deliverer,
                                       const Clock& clock, int limit = 200, int max_attempts = 8);

}  // namespace carnet::notify
