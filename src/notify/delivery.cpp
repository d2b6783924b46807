#include "notify/delivery.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/log.h"

namespace carnet::notify {
namespace {

class FileDeliverer final : public Deliverer {
 public:
  explicit FileDeliverer(std::string path) : path_(std::move(path)) {}
  Status deliver(int64_t id, const Notice& n, const Rendered& r) override {
    nlohmann::json line = {{"id", id},
                           {"channel", channel_name(n.channel)},
                           {"template", n.template_id},
                           {"to", n.recipient},
                           {"subject", r.subject},
                           {"text", r.text},
                           {"params", n.params}};
    std::string bytes = line.dump() + "\n";
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return Status::unavailable("cannot open " + path_);
    bool ok = ::write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size()) && ::fdatasync(fd) == 0;
    ::close(fd);
    return ok ? Status::ok() : Status::unavailable("cannot write " + path_);
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<Deliverer> make_file_deliverer(std::string path) {
  return std::make_unique<FileDeliverer>(std::move(path));
}

Result<DeliveryReport> deliver_pending(store::Store& store, const Outbox& outbox, Deliverer& deliverer,
                                       const Clock& clock, int limit, int max_attempts) {
  DeliveryReport report;
  std::vector<std::pair<int64_t, int64_t>> due;  // id, attempts
  std::string now = format_instant(clock.now());
  Status s = store.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    due.clear();
    return tx.query_each(
        "SELECT id, attempts FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        {now, int64_t(limit)}, [&](const store::Row& r) {
          due.emplace_back(r.integer(0), r.integer(1));
          return Status::ok();
        });
  });
  if (!s.is_ok()) return s;
  for (auto [id, attempts] : due) {
    // Claim the notice first (a lease on it): another deliverer — this process's immediate
    // delivery, the scheduled job, another instance — skips it, so nothing is sent twice.
    bool claimed = false;
    Result<Notice> notice = Status::internal("unread");
    CARNET_RETURN_IF_ERROR(store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
      auto c = tx.exec("UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'pending' AND next_attempt_at <= ?",
                       {format_instant(clock.now() + std::chrono::minutes(5)), id, now});
      if (!c.is_ok()) return c.status();
      claimed = *c == 1;
      if (claimed) notice = outbox.read(tx, id);
      return Status::ok();
    }));
    if (!claimed) continue;
    Status sent;
    if (!notice.is_ok()) {
      sent = notice.status();
    } else {
      auto rendered = render(notice->template_id, notice->params);
      sent = rendered.is_ok() ? deliverer.deliver(id, *notice, *rendered) : rendered.status();
    }
    bool transient = sent.code() == ErrorCode::kUnavailable || sent.code() == ErrorCode::kBusy;
    std::string when = format_instant(clock.now());
    if (sent.is_ok()) {
      report.sent++;
      CARNET_RETURN_IF_ERROR(store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
        return tx.exec("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, payload = ? "
                       "WHERE id = ? AND status = 'pending'",
                       {when, store::Blob{""}, id})
            .status();
      }));
    } else if (transient && attempts + 1 < max_attempts) {
      report.retried++;
      auto delay = std::chrono::seconds(30) * (int64_t(1) << std::min<int64_t>(attempts, 10));
      CARNET_RETURN_IF_ERROR(store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
        return tx.exec("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                       {format_instant(clock.now() + delay), sent.message(), id})
            .status();
      }));
    } else {
      report.failed++;
      log::error("notice_failed", {{"notice_id", id}, {"error", sent.message()}});
      CARNET_RETURN_IF_ERROR(store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
        return tx.exec("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                       {sent.message(), id})
            .status();
      }));
    }
  }
  return report;
}

}  // namespace carnet::notify
