#include "identity/enrolment.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <future>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/csv.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "identity/contacts.h"
#include "identity/nir.h"
#include "identity/traits.h"
#include "notify/outbox.h"
#include "store/insert_rows.h"
#include "store/space_keys.h"

namespace carnet::identity {
namespace {

using namespace std::chrono;

// No 0/O, 1/I/L: nothing to confuse when typing it from a letter.
constexpr std::string_view kCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

enum Column { kNir, kBirthName, kFirstNames, kBirthDate, kSex, kBirthplace, kEmail, kMobile, kAddress,
              kRepresentatives, kColumnCount };
constexpr std::array<std::string_view, kColumnCount> kColumnNames = {
    "nir", "birth_name", "first_names", "birth_date", "sex", "birthplace", "email", "mobile", "address",
    "representatives"};
constexpr int kRequiredColumns = 6;  // the first six

struct Contacts {
  std::string email, mobile, address;
};

// One valid line, ready to be written.
struct Candidate {
  size_t line;
  Nir nir;
  Traits traits;
  Contacts contacts;
  std::vector<std::string> representative_nirs;
  std::optional<std::string> adult_on;  // for minors
};

struct Pending {
  size_t line;
  std::optional<Candidate> candidate;  // empty: invalid line
  std::string reason;
};

BirthDate to_birth_date(sys_days d) {
  year_month_day ymd(d);
  return {int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day()))};
}

std::string iso_date(sys_days d) { return to_birth_date(d).iso(); }

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// The date someone born on `b` turns 18 (29 February -> 1 March in common years).
sys_days eighteenth_birthday(const BirthDate& b) {
  year_month_day d{year(b.year + 18), month(unsigned(b.month)), day(unsigned(b.day))};
  if (!d.ok()) d = year_month_day{year(b.year + 18), month(3), day(1)};
  return sys_days(d);
}

}  // namespace

std::string_view line_status_name(LineStatus s) {
  switch (s) {
    case LineStatus::kEnrolled: return "enrolled";
    case LineStatus::kAlreadyEnrolled: return "already_enrolled";
    case LineStatus::kObjected: return "objected";
    case LineStatus::kInvalid: return "invalid";
  }
  return "invalid";
}

std::string ins_lookup_hash(const crypto::KeyRing& ring, std::string_view nir15) {
  return ring.lookup_hash("ins-nir", nir15);
}

std::string provisional_code_hash(const crypto::KeyRing& ring, std::string_view space_id, std::string_view code) {
  return ring.lookup_hash("provisional-code", std::string(space_id) + ":" + normalize_provisional_code(code));
}

std::string new_provisional_code() {
  std::string raw = crypto::random_string(12, kCodeAlphabet);
  return raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4);
}

std::string normalize_provisional_code(std::string_view typed) {
  std::string out;
  for (char c : typed) {
    char u = char(std::toupper(static_cast<unsigned char>(c)));
    if (u == '-' || u == ' ') continue;
    out += u;
  }
  return out;
}

Enroller::Enroller(store::Store& store, const crypto::KeyRing& ring, const Clock& clock, EnrolmentOptions options)
    : store_(store), ring_(ring), clock_(clock), options_(options) {}

namespace {

// A line with everything computed that needs no database: the keyed hash of the NIR, a new
// space with its data key, sealed identity and provisional code, and its notice. Computed
// while the previous batch is being written (wasted for a person already enrolled).
struct Prepared {
  size_t line = 0;
  std::string reason;    // why the line is invalid, when ins_hash is empty
  std::string ins_hash;
  std::string space_id;
  std::vector<store::Value> key_row, space_row, notice_row;
  std::vector<std::vector<store::Value>> representative_rows;
};

constexpr std::string_view kSpaceColumns =
    "space_id, ins_hash, state, enrolled_at, opposition_deadline, state_changed_at, adult_on, identity, code_hash, "
    "code_expires_at";

// One transaction for a batch: the new spaces as multi-row INSERTs, the unique index on the
// NIR's hash skipping people enrolled before (they are then looked up one by one: a re-import
// is rare), then their keys, representatives and notices. The outcomes in line order.
Result<std::vector<LineOutcome>> write_batch(store::Store& store, const std::vector<Prepared>& batch) {
  std::vector<LineOutcome> outcomes;
  Status s = store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    outcomes.assign(batch.size(), LineOutcome{});  // the store may run this again after a conflict
    std::unordered_map<std::string, size_t> first;  // by ins_hash: the person's first line in this batch
    std::vector<std::vector<store::Value>> spaces;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i].ins_hash.empty() && first.emplace(batch[i].ins_hash, i).second) spaces.push_back(batch[i].space_row);
    }
    std::unordered_set<std::string> created;
    CARNET_RETURN_IF_ERROR(store::insert_rows_returning(tx, "spaces", kSpaceColumns, std::move(spaces),
                                                        "ON CONFLICT (ins_hash) DO NOTHING RETURNING space_id",
                                                        [&](const store::Row& r) {
                                                          created.insert(r.text(0));
                                                          return Status::ok();
                                                        }));
    std::vector<std::vector<store::Value>> keys, representatives, notices;
    for (size_t i = 0; i < batch.size(); ++i) {
      const Prepared& p = batch[i];
      LineOutcome& o = outcomes[i];
      o.line = p.line;
      if (p.ins_hash.empty()) {
        o.status = LineStatus::kInvalid;
        o.reason = p.reason;
        continue;
      }
      const Prepared& earliest = batch[first.at(p.ins_hash)];
      if (created.count(earliest.space_id)) {
        if (&earliest == &p) {
          keys.push_back(p.key_row);
          notices.push_back(p.notice_row);
          representatives.insert(representatives.end(), p.representative_rows.begin(), p.representative_rows.end());
          o.status = LineStatus::kEnrolled;
        } else {
          o.status = LineStatus::kAlreadyEnrolled;  // twice in this batch
        }
        o.space_id = earliest.space_id;
        continue;
      }
      auto row = tx.query_one("SELECT space_id, state, state_changed_at FROM spaces WHERE ins_hash = ?", {store::Blob{p.ins_hash}});
      if (!row.is_ok()) return row.status();
      if (!*row) return Status::internal("line " + std::to_string(p.line) + ": neither inserted nor found");
      const store::Row& r = **row;
      if (r.text(1) == "opposed") {
        o.status = LineStatus::kObjected;
        o.reason = "this person objected to their space on " + r.text(2).substr(0, 10) + "; they are never enrolled again";
      } else if (r.text(1) == "closed") {
        o.status = LineStatus::kObjected;
        o.reason = "this person closed their space; they are not enrolled again";
      } else {
        o.status = LineStatus::kAlreadyEnrolled;
        o.space_id = r.text(0);
      }
    }
    CARNET_RETURN_IF_ERROR(store::insert_rows(tx, "space_keys", store::SpaceKeys::kColumns, std::move(keys)).status());
    CARNET_RETURN_IF_ERROR(store::insert_rows(tx, "representatives", "space_id, representative_ins_hash, since",
                                              std::move(representatives),
                                              "ON CONFLICT (space_id, representative_ins_hash) DO NOTHING")
                               .status());
    return store::insert_rows(tx, "outbox", notify::Outbox::kColumns, std::move(notices)).status();
  });
  if (!s.is_ok()) {
    return s.with_context("writing lines " + std::to_string(batch.front().line) + "-" +
                          std::to_string(batch.back().line));
  }
  return outcomes;
}

// What preparing a line's space needs, the same for every line of a run.
struct PrepareContext {
  const crypto::KeyRing& ring;
  const store::SpaceKeys& keys;
  const notify::Outbox& outbox;
  const std::string& now;
  const std::string& deadline;
};

// A validated line's rows (space, sealed identity, key, representatives, notice), or its
// refusal, ready for write_batch().
Prepared prepare(Pending& pending, const PrepareContext& x) {
  const crypto::KeyRing& ring_ = x.ring;
  const store::SpaceKeys& keys = x.keys;
  const notify::Outbox& outbox = x.outbox;
  const std::string& now = x.now;
  const std::string& deadline = x.deadline;
  Prepared p;
  p.line = pending.line;
  if (!pending.candidate) {
    p.reason = std::move(pending.reason);
    return p;
  }
  const Candidate& c = *pending.candidate;
  p.ins_hash = ins_lookup_hash(ring_, c.nir.value);
  p.space_id = crypto::time_ordered_uuid();
  auto key = keys.fresh(p.space_id, now);
  p.key_row = std::move(key.row);
  nlohmann::json identity = {
      {"nir", c.nir.value},
      {"birth_name", c.traits.birth_name},
      {"first_names", c.traits.first_names},
      {"birth_date", c.traits.birth_date.iso()},
      {"sex", c.traits.sex == Sex::kMale ? "M" : "F"},
      {"birthplace", c.traits.birthplace},
      {"email", c.contacts.email},
      {"mobile", c.contacts.mobile},
      {"address", c.contacts.address},
  };
  std::string sealed = crypto::seal(key.key, identity.dump(), "carnet.space-identity.v1:" + p.space_id);
  std::string code = new_provisional_code();
  p.space_row = {p.space_id,
                 store::Blob{p.ins_hash},
                 std::string("notified"),
                 now,
                 deadline,
                 now,
                 c.adult_on ? store::Value(*c.adult_on) : store::Value(nullptr),
                 store::Blob{std::move(sealed)},
                 store::Blob{provisional_code_hash(ring_, p.space_id, code)},
                 deadline};
  for (const auto& rep : c.representative_nirs) {
    p.representative_rows.push_back({p.space_id, store::Blob{ins_lookup_hash(ring_, rep)}, now});
  }
  notify::Notice notice;
  notice.space_id = p.space_id;
  if (!c.contacts.email.empty()) {
    notice.channel = notify::Channel::kEmail;
    notice.recipient = c.contacts.email;
  } else if (!c.contacts.mobile.empty()) {
    notice.channel = notify::Channel::kSms;
    notice.recipient = c.contacts.mobile;
  } else {
    notice.channel = notify::Channel::kLetter;
    notice.recipient = c.traits.first_names.front() + " " + c.traits.birth_name + "\n" + c.contacts.address;
  }
  notice.template_id = c.adult_on ? "enrolment_notice_minor" : "enrolment_notice";
  notice.params = {{"first_name", c.traits.first_names.front()}, {"code", code}, {"deadline", deadline.substr(0, 10)}};
  p.notice_row = outbox.row(notice, now);
  return p;
}

// One line of the file, checked: a candidate, or the reason it is refused.
Pending validate_line(size_t line, const std::vector<std::string>& f, const std::array<int, kColumnCount>& index,
                      sys_days today, const BirthDate& today_date) {
  Pending p{line, std::nullopt, {}};
  auto field = [&](Column c) -> std::string {
    int i = index[size_t(c)];
    return i >= 0 && size_t(i) < f.size() ? trim(f[size_t(i)]) : std::string();
  };
  if (f.size() != size_t(std::count_if(index.begin(), index.end(), [](int i) { return i >= 0; }))) {
    p.reason = "expected " + std::to_string(std::count_if(index.begin(), index.end(), [](int i) { return i >= 0; })) +
               " fields as in the header, found " + std::to_string(f.size());
    return p;
  }
  auto nir = parse_nir(field(kNir));
  if (!nir.is_ok()) {
    p.reason = nir.status().message();
    return p;
  }
  auto traits = make_traits(*nir, field(kBirthName), field(kFirstNames), field(kBirthDate), field(kSex),
                            field(kBirthplace), today_date);
  if (!traits.is_ok()) {
    p.reason = traits.status().message();
    return p;
  }
  Candidate c{line, *nir, *traits, {}, {}, std::nullopt};
  struct ContactColumn {
    Column column;
    Result<std::string> (*normalize)(std::string_view);
    std::string Contacts::*field;
  };
  for (const ContactColumn& cc : {ContactColumn{kEmail, normalize_email, &Contacts::email},
                                  ContactColumn{kMobile, normalize_mobile, &Contacts::mobile},
                                  ContactColumn{kAddress, normalize_address, &Contacts::address}}) {
    std::string raw = field(cc.column);
    if (raw.empty()) continue;
    auto v = cc.normalize(raw);
    if (!v.is_ok()) {
      p.reason = v.status().message();
      return p;
    }
    c.contacts.*cc.field = *v;
  }
  if (c.contacts.email.empty() && c.contacts.mobile.empty() && c.contacts.address.empty()) {
    p.reason = "no e-mail, mobile or postal address: the notice cannot be sent";
    return p;
  }
  sys_days adult = eighteenth_birthday(c.traits.birth_date);
  bool minor = today < adult;
  std::string reps = field(kRepresentatives);
  size_t start = 0;
  while (start < reps.size()) {
    size_t semi = reps.find(';', start);
    std::string one = trim(std::string_view(reps).substr(start, semi == std::string::npos ? std::string::npos : semi - start));
    start = semi == std::string::npos ? reps.size() : semi + 1;
    if (one.empty()) continue;
    auto rn = parse_nir(one);
    if (!rn.is_ok()) {
      p.reason = "representative: " + rn.status().message();
      return p;
    }
    if (rn->value == c.nir.value) {
      p.reason = "a person cannot be their own legal representative";
      return p;
    }
    c.representative_nirs.push_back(rn->value);
  }
  if (minor && c.representative_nirs.empty()) {
    p.reason = "a minor needs at least one legal representative (column representatives)";
    return p;
  }
  if (!minor && !c.representative_nirs.empty()) {
    p.reason = "legal representatives are only for minors; this person is an adult";
    return p;
  }
  if (c.representative_nirs.size() > 2) {
    p.reason = "at most two legal representatives";
    return p;
  }
  if (minor) c.adult_on = iso_date(adult);
  p.candidate = std::move(c);
  return p;
}

// The header line: which column is which (kInvalid for an unknown, repeated or missing one).
Status read_header(const std::vector<std::string>& fields, std::array<int, kColumnCount>& index) {
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string name = trim(fields[i]);
    if (i == 0 && name.rfind("\xEF\xBB\xBF", 0) == 0) name.erase(0, 3);  // UTF-8 BOM
    for (char& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    auto it = std::find(kColumnNames.begin(), kColumnNames.end(), name);
    if (it == kColumnNames.end()) return Status::invalid("header: unknown column '" + name + "'");
    size_t c = size_t(it - kColumnNames.begin());
    if (index[c] >= 0) return Status::invalid("header: column '" + name + "' appears twice");
    index[c] = int(i);
  }
  for (int c = 0; c < kRequiredColumns; ++c) {
    if (index[size_t(c)] < 0) {
      return Status::invalid("header: missing required column '" + std::string(kColumnNames[size_t(c)]) + "'");
    }
  }
  return Status::ok();
}

}  // namespace

Result<EnrolmentSummary> Enroller::run(const ByteSource& source, const OutcomeSink& sink) {
  EnrolmentSummary summary;
  std::array<int, kColumnCount> index;
  index.fill(-1);
  bool header_seen = false;
  std::vector<Pending> batch;
  const auto now_tp = clock_.now();
  const std::string now = format_instant(now_tp);
  const sys_days today = floor<days>(now_tp);
  const BirthDate today_date = to_birth_date(today);
  const std::string deadline = format_instant(now_tp + options_.opposition_window);
  store::SpaceKeys keys(ring_);
  notify::Outbox outbox(ring_);

  // Batch k is written on another thread while batch k+1 is read, checked and prepared on
  // this one; its lines are reported (in order, on this thread) before batch k+1 is handed
  // over. At most two prepared batches exist at a time: memory stays flat.
  std::future<Result<std::vector<LineOutcome>>> writing;
  auto deliver = [&]() -> Status {
    if (!writing.valid()) return Status::ok();
    auto outcomes = writing.get();
    if (!outcomes.is_ok()) return outcomes.status();
    for (const auto& o : *outcomes) {
      switch (o.status) {
        case LineStatus::kEnrolled: summary.enrolled++; break;
        case LineStatus::kAlreadyEnrolled: summary.already_enrolled++; break;
        case LineStatus::kObjected: summary.objected++; break;
        case LineStatus::kInvalid: summary.invalid++; break;
      }
      sink(o);
    }
    return Status::ok();
  };
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::ok();
    std::vector<Prepared> prepared;
    prepared.reserve(batch.size());
    for (Pending& p : batch) prepared.push_back(prepare(p, {ring_, keys, outbox, now, deadline}));
    batch.clear();
    CARNET_RETURN_IF_ERROR(deliver());
    writing = std::async(std::launch::async,
                         [&store = store_, prepared = std::move(prepared)] { return write_batch(store, prepared); });
    return Status::ok();
  };

  CsvReader reader(',', [&](size_t record, std::vector<std::string>& fields) -> Status {
    if (!header_seen) {
      header_seen = true;
      return read_header(fields, index);
    }
    summary.lines++;
    batch.push_back(validate_line(record, fields, index, today, today_date));
    if (batch.size() >= options_.batch_size) return flush();
    return Status::ok();
  });

  auto read_all = [&]() -> Status {
    std::vector<char> buf(64 * 1024);
    for (;;) {
      auto n = source(buf.data(), buf.size());
      if (!n.is_ok()) {
        CARNET_RETURN_IF_ERROR(flush());
        return n.status();
      }
      if (*n == 0) break;
      CARNET_RETURN_IF_ERROR(reader.feed(std::string_view(buf.data(), *n)));
    }
    CARNET_RETURN_IF_ERROR(reader.finish());
    if (!header_seen) return Status::invalid("the file is empty (a header line is required)");
    return flush();
  };
  Status read = read_all();
  Status written = deliver();  // the last batch handed over, even after an error
  if (!read.is_ok()) return read;
  if (!written.is_ok()) return written;
  return summary;
}

}  // namespace carnet::identity
