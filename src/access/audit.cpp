#include "access/audit.h"

#include <map>

#include "access/care.h"
#include "core/deferred.h"
#include "identity/spaces.h"
#include "store/insert_rows.h"

namespace carnet::access {
namespace {

constexpr size_t kMaxBatch = 1024;
const std::string kGenesis(32, '\0');

// Canonical bytes of an event: every field, length-prefixed, in a fixed order.
std::string canonical(const AuditEvent& e) {
  std::string out;
  auto add = [&](std::string_view v) {
    out += std::to_string(v.size());
    out += ':';
    out += v;
  };
  add(e.space_id);
  add(std::to_string(e.seq));
  add(e.at);
  add(e.actor_kind);
  add(e.actor_id);
  add(e.on_behalf_of);
  add(e.action);
  add(e.resource_type);
  add(e.resource_id);
  add(e.outcome);
  add(e.reason);
  add(e.client_address);
  add(e.emergency ? "1" : "0");
  add(e.by_holder ? "1" : "0");
  return out;
}

constexpr char kColumns[] =
    "space_id, seq, at, actor_kind, actor_id, on_behalf_of, action, resource_type, resource_id, outcome, reason, "
    "client_address, emergency, by_holder, prev_hash, hash";

AuditEvent from_row(const store::Row& r) {
  AuditEvent e;
  e.space_id = r.text(0);
  e.seq = r.integer(1);
  e.at = r.text(2);
  e.actor_kind = r.text(3);
  e.actor_id = r.text(4);
  e.on_behalf_of = r.text(5);
  e.action = r.text(6);
  e.resource_type = r.text(7);
  e.resource_id = r.text(8);
  e.outcome = r.text(9);
  e.reason = r.text(10);
  e.client_address = r.text(11);
  e.emergency = r.integer(12) != 0;
  e.by_holder = r.integer(13) != 0;
  return e;
}

}  // namespace

AuditLog::AuditLog(store::Store& store, const crypto::KeyRing& ring, const Clock& clock)
    : store_(store), ring_(ring), clock_(clock), writer_([this] { writer_loop(); }) {}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  arrived_.notify_all();
  writer_.join();
}

std::string AuditLog::chain_hash(const std::string& prev, const AuditEvent& e) const {
  return ring_.lookup_hash("audit-chain", prev + canonical(e));
}

Status AuditLog::record_in(store::Transaction& tx, std::vector<AuditEvent> events) const {
  // Heads of the chains touched, read once per transaction.
  std::map<std::string, std::pair<int64_t, std::string>> heads;
  std::vector<std::vector<store::Value>> rows;  // kColumns of each event
  rows.reserve(events.size());
  for (auto& e : events) {
    auto head = heads.find(e.space_id);
    if (head == heads.end()) {
      auto row = tx.query_one("SELECT last_seq, last_hash FROM audit_heads WHERE space_id = ?", {e.space_id});
      if (!row.is_ok()) return row.status();
      auto value = *row ? std::make_pair((*row)->integer(0), (*row)->text(1)) : std::make_pair(int64_t{0}, kGenesis);
      head = heads.emplace(e.space_id, value).first;
    }
    e.seq = head->second.first + 1;
    if (e.at.empty()) e.at = format_instant(clock_.now());
    std::string hash = chain_hash(head->second.second, e);
    rows.push_back({e.space_id, e.seq, e.at, e.actor_kind, e.actor_id, e.on_behalf_of, e.action, e.resource_type,
                    e.resource_id, e.outcome, e.reason, e.client_address, int64_t{e.emergency}, int64_t{e.by_holder},
                    store::Blob{head->second.second}, store::Blob{hash}});
    head->second = {e.seq, hash};
  }
  // The events in few statements (a round trip each on a database server).
  CARNET_RETURN_IF_ERROR(store::insert_rows(tx, "audit_events", kColumns, std::move(rows)).status());
  for (const auto& e : events) CARNET_RETURN_IF_ERROR(first_access(tx, e));
  for (const auto& [space, head] : heads) {
    auto up = tx.exec(
        "INSERT INTO audit_heads (space_id, last_seq, last_hash) VALUES (?, ?, ?) "
        "ON CONFLICT (space_id) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash",
        {space, head.first, store::Blob{head.second}});
    if (!up.is_ok()) return up.status();
  }
  return Status::ok();
}

Status AuditLog::first_access(store::Transaction& tx, const AuditEvent& e) const {
  // A professional's first look into a space is told to the holder, once.
  if (e.actor_kind != "professional" || e.outcome != "allowed" || (e.action != "read" && e.action != "search")) {
    return Status::ok();
  }
  std::string key = e.space_id + "|" + e.actor_id;
  {
    std::lock_guard lock(seen_mu_);
    if (seen_.count(key)) return Status::ok();
  }
  auto ins = tx.exec("INSERT INTO professional_accesses (space_id, idnatps, first_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                     {e.space_id, e.actor_id, e.at});
  if (!ins.is_ok()) return ins.status();
  {
    // Remembered once the row exists (a rolled-back batch retries and finds it or adds it).
    std::lock_guard lock(seen_mu_);
    if (seen_.size() > 1'000'000) seen_.clear();
    if (*ins == 0) seen_.insert(key);
  }
  if (*ins == 0) return Status::ok();
  auto name = professional_name(tx, ring_, clock_, e.actor_id);
  if (!name.is_ok()) return name.status().code() == ErrorCode::kNotFound ? Status::ok() : name.status();
  return identity::notify_holder(tx, ring_, e.space_id, "first_access", "professional_first_access",
                                 {{"professional", *name}, {"date", e.at.substr(0, 10)}}, e.at);
}

Status AuditLog::record(AuditEvent event) {
  if (DeferredWaits::collecting()) {
    auto p = std::make_shared<Pending>();
    p->event = std::move(event);
    p->self = p;  // kept alive by the queue until committed
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Status::unavailable("shutting down");
      queue_.push_back(p.get());
    }
    arrived_.notify_one();
    DeferredWaits::add([this, p](std::function<void(Status)> done) {
      std::unique_lock lock(mu_);
      if (p->done) {
        Status result = p->result;
        lock.unlock();
        done(result);
        return;
      }
      p->listeners.push_back(std::move(done));
    });
    return Status::ok();
  }
  Pending p;
  p.event = std::move(event);
  std::unique_lock lock(mu_);
  if (stopping_) return Status::unavailable("shutting down");
  queue_.push_back(&p);
  arrived_.notify_one();
  committed_.wait(lock, [&] { return p.done; });
  return p.result;
}

void AuditLog::writer_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    arrived_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::vector<Pending*> batch;
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    // On the store's background connection: a worker's connection never waits for it.
    Status s = store_.transact_background(store::TxMode::kWrite, [&](store::Transaction& tx) {
      std::vector<AuditEvent> events;
      events.reserve(batch.size());
      for (auto* p : batch) events.push_back(p->event);
      return record_in(tx, std::move(events));
    });
    lock.lock();
    std::vector<std::pair<std::vector<std::function<void(Status)>>, std::shared_ptr<Pending>>> deferred;
    for (auto* p : batch) {
      p->result = s;
      p->done = true;
      if (p->self) deferred.emplace_back(std::move(p->listeners), std::move(p->self));
    }
    committed_.notify_all();
    lock.unlock();
    for (auto& [listeners, keep] : deferred) {
      for (auto& l : listeners) l(s);
    }
    deferred.clear();
    lock.lock();
  }
}

Result<std::vector<AuditEvent>> AuditLog::list(store::Transaction& tx, std::string_view space_id, bool by_holder,
                                               int64_t before_seq, int limit) const {
  auto rows = tx.query(std::string("SELECT ") + kColumns +
                           " FROM audit_events WHERE space_id = ? AND by_holder = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                       {std::string(space_id), int64_t{by_holder}, before_seq > 0 ? before_seq : INT64_MAX, int64_t{limit}});
  if (!rows.is_ok()) return rows.status();
  std::vector<AuditEvent> out;
  for (const auto& r : *rows) out.push_back(from_row(r));
  return out;
}

Result<std::optional<AuditEvent>> AuditLog::get(store::Transaction& tx, std::string_view space_id, int64_t seq) const {
  auto row = tx.query_one(std::string("SELECT ") + kColumns + " FROM audit_events WHERE space_id = ? AND seq = ?",
                          {std::string(space_id), seq});
  if (!row.is_ok()) return row.status();
  if (!*row) return std::optional<AuditEvent>();
  return std::optional<AuditEvent>(from_row(**row));
}

Result<int64_t> AuditLog::verify(store::Transaction& tx, const std::function<void(const AuditProblem&)>& problem) const {
  int64_t checked = 0;
  std::string space;
  int64_t expected = 1;
  std::string prev = kGenesis;
  std::map<std::string, int64_t> last_seen;
  Status s = tx.query_each(std::string("SELECT ") + kColumns + " FROM audit_events ORDER BY space_id, seq", {},
                           [&](const store::Row& r) -> Status {
                             AuditEvent e = from_row(r);
                             if (e.space_id != space) {
                               space = e.space_id;
                               expected = 1;
                               prev = kGenesis;
                             }
                             ++checked;
                             if (e.seq > expected) {
                               for (int64_t m = expected; m < e.seq; ++m) problem({space, m, "missing"});
                             }
                             bool chained = r.text(14) == prev;
                             bool intact = chain_hash(r.text(14), e) == r.text(15);
                             if (!intact) {
                               problem({space, e.seq, "modified or moved (its hash does not match its content)"});
                             } else if (!chained && e.seq == expected) {
                               problem({space, e.seq, "out of order (it does not follow the event before it)"});
                             }
                             prev = r.text(15);
                             expected = e.seq + 1;
                             last_seen[space] = e.seq;
                             return Status::ok();
                           });
  if (!s.is_ok()) return s;
  // Events removed from the end of a chain: the head remembers the last one.
  CARNET_RETURN_IF_ERROR(tx.query_each("SELECT space_id, last_seq FROM audit_heads", {}, [&](const store::Row& r) {
    int64_t seen = last_seen.count(r.text(0)) ? last_seen[r.text(0)] : 0;
    for (int64_t m = seen + 1; m <= r.integer(1); ++m) problem({r.text(0), m, "missing"});
    return Status::ok();
  }));
  return checked;
}

}  // namespace carnet::access
