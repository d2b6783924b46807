// Enrolment throughput: generates a beneficiary file of N valid lines, enrols it into a fresh
// data directory (spaces/s), then inserts the same rows (same tables, same sizes, precomputed
// values) into another fresh store with the same batch size, as multi-row INSERTs, the
// fastest way the store takes rows (raw spaces/s): the ratio is what parsing, validation,
// crypto and bookkeeping cost. Prints peak memory to show it stays flat.
//   enrolment_bench [LINES [BATCH [ENROL_DATABASE RAW_DATABASE]]]
// The databases are --database settings (e.g. two empty PostgreSQL databases); by default
// two SQLite files in a temporary directory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "core/clock.h"
#include "crypto/random.h"
#include "identity/enrolment.h"
#include "store/insert_rows.h"
#include "store/store.h"

using namespace carnet;
using Steady = std::chrono::steady_clock;

static long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

int main(int argc, char** argv) {
  size_t lines = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  size_t batch = argc > 2 ? std::stoul(argv[2]) : 2000;
  auto dir = std::filesystem::temp_directory_path() / ("carnet-enrol-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string csv = (dir / "beneficiaries.csv").string();
  {
    std::ofstream out(csv);
    out << "nir,birth_name,first_names,birth_date,sex,birthplace,email\n";
    for (size_t i = 0; i < lines; ++i) {
      // 1 YY MM 75 CCC OOO KK: distinct valid NIRs from the line number.
      unsigned yy = 40 + unsigned(i % 50), mm = 1 + unsigned(i / 50 % 12);
      unsigned commune = 1 + unsigned(i / 600 % 999), order = 1 + unsigned(i / 599400 % 999);
      char body[16];
      std::snprintf(body, sizeof body, "1%02u%02u75%03u%03u", yy, mm, commune, order);
      unsigned long long n = std::stoull(body);
      unsigned key = unsigned(97 - n % 97);
      std::string name = "NOM";
      for (size_t v = i; v > 0; v /= 26) name += char('A' + v % 26);
      char rest[160];
      std::snprintf(rest, sizeof rest, "%02u,%s,Prenom,19%02u-%02u-15,M,75%03u,p%zu@example.fr\n", key, name.c_str(), yy,
                    mm, commune, i);
      out << body << rest;
    }
  }
  auto ring = crypto::KeyRing::from_master_key(crypto::random_key());
  SystemClock clock;

  std::string enrol_db = argc > 4 ? argv[3] : "sqlite:" + (dir / "enrol.db").string();
  std::string raw_db = argc > 4 ? argv[4] : "sqlite:" + (dir / "raw.db").string();
  auto store = store::open_store(enrol_db, dir.string(), 4);
  if (!store.is_ok()) {
    std::cerr << store.status().to_string() << "\n";
    return 1;
  }
  identity::Enroller enroller(**store, ring, clock, {std::chrono::days(42), batch});
  std::FILE* in = std::fopen(csv.c_str(), "rb");
  auto t0 = Steady::now();
  size_t invalid = 0;
  auto summary = enroller.run([in](char* b, size_t cap) -> Result<size_t> { return std::fread(b, 1, cap, in); },
                              [&](const identity::LineOutcome& o) {
                                if (o.status == identity::LineStatus::kInvalid && invalid++ < 3) {
                                  std::cerr << "line " << o.line << ": " << o.reason << "\n";
                                }
                              });
  double enrol_s = std::chrono::duration<double>(Steady::now() - t0).count();
  std::fclose(in);
  if (!summary.is_ok()) {
    std::cerr << summary.status().to_string() << "\n";
    return 1;
  }
  long rss_after_enrol = peak_rss_kib();

  // The same rows, precomputed, straight into a fresh store: spaces, space_keys, outbox.
  auto raw = store::open_store(raw_db, dir.string(), 4);
  if (!raw.is_ok()) {
    std::cerr << raw.status().to_string() << "\n";
    return 1;
  }
  std::string wrapped = ring.new_data_key("x").wrapped, identity(300, 'i'), payload(200, 'p');
  std::string code(32, 'c');
  auto t1 = Steady::now();
  for (size_t done = 0; done < summary->enrolled;) {
    size_t n = std::min(batch, summary->enrolled - done);
    Status s = (*raw)->transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
      std::vector<std::vector<store::Value>> keys, spaces, notices;
      for (size_t k = 0; k < n; ++k) {
        std::string id = crypto::time_ordered_uuid();
        std::string h = crypto::random_bytes(32);  // as random as a keyed hash of a NIR
        keys.push_back({id, store::Blob{wrapped}, std::string("fp"), std::string("2026-11-22T10:00:00.000Z")});
        spaces.push_back({id, store::Blob{h}, std::string("notified"), std::string("2026-11-22T10:00:00.000Z"),
                          std::string("2027-01-03T10:00:00.000Z"), std::string("2026-11-22T10:00:00.000Z"), nullptr,
                          store::Blob{identity}, store::Blob{code}, std::string("2027-01-03T10:00:00.000Z")});
        notices.push_back({id, std::string("email"), std::string("enrolment_notice"), store::Blob{payload},
                           std::string("2026-11-22T10:00:00.000Z"), std::string("2026-11-22T10:00:00.000Z")});
      }
      CARNET_RETURN_IF_ERROR(store::insert_rows(tx, "space_keys", "space_id, wrapped_key, master_fingerprint, created_at",
                                                std::move(keys)).status());
      CARNET_RETURN_IF_ERROR(store::insert_rows(tx, "spaces",
                                                "space_id, ins_hash, state, enrolled_at, opposition_deadline, "
                                                "state_changed_at, adult_on, identity, code_hash, code_expires_at",
                                                std::move(spaces)).status());
      return store::insert_rows(tx, "outbox", "space_id, channel, template, payload, created_at, next_attempt_at",
                                std::move(notices)).status();
    });
    if (!s.is_ok()) {
      std::cerr << s.to_string() << "\n";
      return 1;
    }
    done += n;
  }
  double raw_s = std::chrono::duration<double>(Steady::now() - t1).count();
  double enrol_rate = double(summary->enrolled) / enrol_s, raw_rate = double(summary->enrolled) / raw_s;
  std::printf("enrolment: %zu lines, %zu enrolled, %zu invalid in %.1f s: %.0f spaces/s (68 M in %.1f h)\n",
              summary->lines, summary->enrolled, summary->invalid, enrol_s, enrol_rate, 68e6 / enrol_rate / 3600);
  std::printf("raw insert of the same rows (3 per space, multi-row, batches of %zu): %.1f s: %.0f spaces/s\n", batch, raw_s, raw_rate);
  std::printf("ratio enrolment / raw insert: %.2f\n", enrol_rate / raw_rate);
  std::printf("peak RSS: %.1f MB after enrolment, %.1f MB at the end\n", rss_after_enrol / 1024.0, peak_rss_kib() / 1024.0);
  std::filesystem::remove_all(dir);
  return 0;
}
