#include "documents/withheld.h"

#include <string>
#include <utility>
#include <vector>

#include "identity/spaces.h"

namespace carnet::documents {

Result<WithheldNotices> send_withheld_notices(store::Store& store, const crypto::KeyRing& ring, const Clock& clock,
                                              std::chrono::seconds notice_after, int batch) {
  WithheldNotices out;
  auto now_t = clock.now();
  std::string now = format_instant(now_t);
  std::string announced_before = format_instant(now_t - notice_after);
  Status s = store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    out = {};
    struct Due {
      std::string space, id, until;
    };
    std::vector<Due> awaiting, released;
    CARNET_RETURN_IF_ERROR(tx.query_each(
        "SELECT compartment, resource_id, withheld_until FROM resource_access WHERE withheld_until > ? "
        "AND resource_type = 'DocumentReference' AND awaiting_notice_at IS NULL AND withheld_since <= ? LIMIT ?",
        {now, announced_before, int64_t(batch)}, [&](const store::Row& r) {
          awaiting.push_back({r.text(0), r.text(1), r.text(2)});
          return Status::ok();
        }));
    CARNET_RETURN_IF_ERROR(tx.query_each(
        "SELECT compartment, resource_id, withheld_until FROM resource_access WHERE withheld_until <= ? "
        "AND resource_type = 'DocumentReference' AND released_notice_at IS NULL LIMIT ?",
        {now, int64_t(batch)}, [&](const store::Row& r) {
          released.push_back({r.text(0), r.text(1), r.text(2)});
          return Status::ok();
        }));
    for (const auto& d : awaiting) {
      // "le 22/12/2026"
      std::string date = d.until.substr(8, 2) + "/" + d.until.substr(5, 2) + "/" + d.until.substr(0, 4);
      CARNET_RETURN_IF_ERROR(identity::notify_holder(tx, ring, d.space, "new_document", "document_awaiting",
                                                     {{"date", date}}, now));
      CARNET_RETURN_IF_ERROR(tx.exec("UPDATE resource_access SET awaiting_notice_at = ? WHERE compartment = ? AND "
                                     "resource_type = 'DocumentReference' AND resource_id = ?",
                                     {now, d.space, d.id})
                                 .status());
      ++out.awaiting;
    }
    for (const auto& d : released) {
      CARNET_RETURN_IF_ERROR(identity::notify_holder(tx, ring, d.space, "new_document", "document_released", {}, now));
      CARNET_RETURN_IF_ERROR(tx.exec("UPDATE resource_access SET released_notice_at = ? WHERE compartment = ? AND "
                                     "resource_type = 'DocumentReference' AND resource_id = ?",
                                     {now, d.space, d.id})
                                 .status());
      ++out.released;
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return out;
}

}  // namespace carnet::documents
