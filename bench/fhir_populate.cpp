// Fills a Carnet data directory with synthetic Observations for the FHIR benchmark, through
// the same ResourceStore code path the API uses (sealing, versions, search indexes):
//   fhir_populate DATA_DIR HOLDER_SPACE SPACES PER_SPACE [THREADS]
// The database is the one carnetd uses: CARNET_DATABASE (PostgreSQL), else SQLite in DATA_DIR.
// HOLDER_SPACE (an existing space, e.g. the demo holder's) gets PER_SPACE Observations too;
// SPACES - 1 new synthetic spaces (their own data keys) get PER_SPACE each. Prints the id of
// one of the holder's Observations and the code to search for, then the insert rate.
// THREADS (default 1) fill disjoint sets of spaces at once (PostgreSQL takes concurrent
// writers; SQLite serialises them).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "crypto/keyring.h"
#include "crypto/random.h"
#include "fhir/resource_store.h"
#include "store/space_keys.h"
#include "store/store.h"

using namespace carnet;

namespace {

constexpr const char* kCodes[] = {"29463-7", "8867-4", "8480-6", "8462-4", "2339-0",
                                  "8310-5",  "9279-1", "39156-5", "2085-9", "55284-4"};

std::string observation(const std::string& space, std::mt19937_64& rng) {
  const char* code = kCodes[rng() % 10];
  int day = static_cast<int>(rng() % 1800);
  char date[40];
  std::snprintf(date, sizeof date, "%04d-%02d-%02dT%02d:%02d:00+01:00", 2020 + day / 360, day % 360 / 30 + 1,
                day % 30 + 1, static_cast<int>(rng() % 24), static_cast<int>(rng() % 60));
  return std::string(R"({"resourceType":"Observation","status":"final","category":[{"coding":[{"system":)"
                     R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)"
                     R"("code":{"coding":[{"system":"http://loinc.org","code":")") +
         code + R"("}]},"subject":{"reference":"Patient/)" + space + R"("},"effectiveDateTime":")" + date +
         R"(","valueQuantity":{"value":)" + std::to_string(50 + rng() % 50) +
         R"(,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}})";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: fhir_populate DATA_DIR HOLDER_SPACE SPACES PER_SPACE [THREADS]\n");
    return 2;
  }
  std::string dir = argv[1], holder = argv[2];
  long spaces = std::stol(argv[3]), per_space = std::stol(argv[4]);
  int threads = argc == 6 ? std::max(1, std::stoi(argv[5])) : 1;
  auto ring = crypto::KeyRing::open({dir + "/master.key", std::nullopt});
  if (!ring.is_ok()) return std::fprintf(stderr, "%s\n", ring.status().message().c_str()), 1;
  const char* database = std::getenv("CARNET_DATABASE");
  auto store = store::open_store(database ? database : "", dir, threads + 2);
  if (!store.is_ok()) return std::fprintf(stderr, "%s\n", store.status().message().c_str()), 1;
  SystemClock clock;
  fhir::ResourceStore resources(*ring, clock);
  store::SpaceKeys keys(*ring);
  std::string sample;
  std::vector<std::string> failures(static_cast<size_t>(threads));
  auto start = std::chrono::steady_clock::now();
  auto fill = [&](int t) {
    std::mt19937_64 rng(42 + uint64_t(t));
    for (long s = t; s < spaces; s += threads) {
      std::string space = s == 0 ? holder : crypto::time_ordered_uuid();
      Status st = (*store)->transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
        if (s != 0) {
          auto k = keys.create(tx, space, format_instant(clock.now()));
          if (!k.is_ok()) return k.status();
        }
        for (long i = 0; i < per_space; ++i) {
          auto v = resources.create(tx, space, "Observation", observation(space, rng));
          if (!v.is_ok()) return v.status();
          if (s == 0 && sample.empty()) sample = v->id;
        }
        return Status::ok();
      });
      if (!st.is_ok()) {
        failures[size_t(t)] = st.message();
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(fill, t);
  for (auto& th : pool) th.join();
  for (const auto& f : failures) {
    if (!f.empty()) return std::fprintf(stderr, "%s\n", f.c_str()), 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s %s\n", sample.c_str(), kCodes[0]);
  std::fprintf(stderr, "populated %ld resources in %ld spaces in %.1f s (%.0f resources/s, %d threads)\n",
               spaces * per_space, spaces, secs, static_cast<double>(spaces * per_space) / secs, threads);
  return 0;
}
