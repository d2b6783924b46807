// Fills a Carnet data directory with synthetic Observations for the FHIR benchmark, through
// the same ResourceStore code path the API uses (sealing, versions, search indexes), its
// INSERTs sent a space at a time as multi-row statements (BatchingTransaction):
//   fhir_populate DATA_DIR HOLDER_SPACE SPACES PER_SPACE [THREADS]
// The database is the one carnetd uses: CARNET_DATABASE (PostgreSQL), else SQLite in DATA_DIR.
// HOLDER_SPACE (an existing space, e.g. the demo holder's) gets PER_SPACE Observations too;
// SPACES - 1 new synthetic spaces (their own data keys) get PER_SPACE each. HOLDER_SPACE "-":
// SPACES new spaces and no holder's. Commits every 10,000 resources. Prints the id of
// one of the holder's Observations and the code to search for, then the insert rate.
// THREADS (default 1) fill disjoint sets of spaces at once (PostgreSQL takes concurrent
// writers; SQLite serialises them).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "crypto/keyring.h"
#include "crypto/random.h"
#include "fhir/resource_store.h"
#include "profile/profile.h"
#include "store/space_keys.h"
#include "store/store.h"

using namespace carnet;

namespace {

constexpr const char* kCodes[] = {"29463-7", "8867-4", "8480-6", "8462-4", "2339-0",
                                  "8310-5",  "9279-1", "39156-5", "2085-9", "55284-4"};

// `lifetime` (POPULATE_MIX=lifetime): what connected devices send over a life, a body
// weight 95 times in 100, a heart rate 5 times (one in a thousand a height), over ten years;
// otherwise ten vital-sign codes evenly over five years.
std::string observation(const std::string& space, std::mt19937_64& rng, bool lifetime) {
  const char* code = kCodes[rng() % 10];
  const char* unit = "kg";
  if (lifetime) {
    uint64_t pick = rng() % 1000;
    code = pick < 950 ? "29463-7" : pick < 999 ? "8867-4" : "8302-2";
    unit = pick < 950 ? "kg" : pick < 999 ? "/min" : "cm";
  }
  int day = static_cast<int>(rng() % (lifetime ? 3600 : 1800));
  char date[40];
  std::snprintf(date, sizeof date, "%04d-%02d-%02dT%02d:%02d:00+01:00", (lifetime ? 2016 : 2020) + day / 360,
                day % 360 / 30 + 1, day % 30 + 1, static_cast<int>(rng() % 24), static_cast<int>(rng() % 60));
  int value = std::string_view(unit) == "cm" ? 150 + int(rng() % 50) : 50 + int(rng() % 50);
  return std::string(R"({"resourceType":"Observation","status":"final","category":[{"coding":[{"system":)"
                     R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)"
                     R"("code":{"coding":[{"system":"http://loinc.org","code":")") +
         code + R"("}]},"subject":{"reference":"Patient/)" + space + R"("},"effectiveDateTime":")" + date +
         R"(","valueQuantity":{"value":)" + std::to_string(value) + R"(,"unit":")" + unit +
         R"(","system":"http://unitsofmeasure.org","code":")" + unit + R"("}})";
}

// A transaction that holds back INSERTs of one VALUES tuple or more and sends each statement
// text's rows together, as INSERTs of up to 256 tuples, in the order the texts first came,
// before any statement that reads a table with rows held back, and at the end. The rows are
// those the API writes (the resource store's own code writes them), in far fewer round trips
// to a database server.
class BatchingTransaction final : public store::Transaction {
 public:
  explicit BatchingTransaction(store::Transaction& tx) : tx_(tx) {}

  Result<int64_t> exec(std::string_view sql, store::Params params) override {
    auto shape = shape_of(sql);
    if (!shape) {
      CARNET_RETURN_IF_ERROR(flush());
      return tx_.exec(sql, params);
    }
    auto [it, fresh] = held_.try_emplace(std::string(sql));
    if (fresh) {
      it->second.shape = std::move(*shape);
      order_.push_back(&it->first);
    }
    Held& h = it->second;
    for (const auto& v : params) h.values.push_back(v);
    return int64_t(params.size() / h.shape.per_tuple);
  }
  Status query_each(std::string_view sql, store::Params params,
                    const std::function<Status(const store::Row&)>& each) override {
    for (const auto& [text, h] : held_) {
      if (!h.values.empty() && sql.find(h.shape.table) != std::string_view::npos) {
        CARNET_RETURN_IF_ERROR(flush());
        break;
      }
    }
    return tx_.query_each(sql, params, each);
  }
  Status exec_script(std::string_view sql) override {
    CARNET_RETURN_IF_ERROR(flush());
    return tx_.exec_script(sql);
  }
  Status publish(std::string_view channel, std::string_view payload) override { return tx_.publish(channel, payload); }
  bool lateral_joins() const override { return tx_.lateral_joins(); }

  Status flush() {
    for (const std::string* text : order_) {
      Held& h = held_.at(*text);
      size_t tuples = h.values.size() / h.shape.per_tuple;
      for (size_t start = 0; start < tuples; start += 256) {
        size_t n = std::min<size_t>(256, tuples - start);
        std::string sql = h.shape.head;
        for (size_t i = 0; i < n; ++i) sql += (i ? ", " : "") + h.shape.tuple;
        sql += h.shape.suffix;
        std::vector<store::Value> params(h.values.begin() + long(start * h.shape.per_tuple),
                                         h.values.begin() + long((start + n) * h.shape.per_tuple));
        CARNET_RETURN_IF_ERROR(tx_.exec(sql, params).status());
      }
      h.values.clear();
    }
    return Status::ok();
  }

 private:
  struct Shape {
    std::string table, head, tuple, suffix;  // head: "INSERT INTO t (...) VALUES "
    size_t per_tuple = 0;                    // the `?` of one tuple
  };
  struct Held {
    Shape shape;
    std::vector<store::Value> values;
  };
  // "INSERT INTO t (cols) VALUES (..)[, (..)...][ ON CONFLICT ... DO NOTHING]" with the same
  // tuple repeated; nullopt for anything else (sent at once).
  static std::optional<Shape> shape_of(std::string_view sql) {
    constexpr std::string_view kInsert = "INSERT INTO ", kValues = " VALUES ";
    size_t values = sql.find(kValues);
    if (!sql.starts_with(kInsert) || values == std::string_view::npos) return std::nullopt;
    Shape s;
    s.table = std::string(sql.substr(kInsert.size(), sql.find(' ', kInsert.size()) - kInsert.size()));
    s.head = std::string(sql.substr(0, values + kValues.size()));
    std::string_view rest = sql.substr(values + kValues.size());
    size_t close = rest.find(')');
    if (!rest.starts_with("(") || close == std::string_view::npos) return std::nullopt;
    s.tuple = std::string(rest.substr(0, close + 1));
    if (s.tuple.find('(', 1) != std::string::npos) return std::nullopt;  // an expression inside
    s.per_tuple = size_t(std::count(s.tuple.begin(), s.tuple.end(), '?'));
    rest.remove_prefix(close + 1);
    while (rest.starts_with(", " + s.tuple)) rest.remove_prefix(2 + s.tuple.size());
    if (!rest.empty() && !(rest.starts_with(" ON CONFLICT") && rest.ends_with("DO NOTHING"))) return std::nullopt;
    s.suffix = std::string(rest);
    if (s.per_tuple == 0) return std::nullopt;
    return s;
  }

  store::Transaction& tx_;
  std::unordered_map<std::string, Held> held_;
  std::vector<const std::string*> order_;  // statement texts, as first held
};

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
  const char* mix = std::getenv("POPULATE_MIX");
  bool lifetime = mix && std::string_view(mix) == "lifetime";
  std::vector<std::string> failures(static_cast<size_t>(threads));
  auto start = std::chrono::steady_clock::now();
  auto fill = [&](int t) {
    std::mt19937_64 rng(42 + uint64_t(t));
    for (long s = t; s < spaces; s += threads) {
      bool is_holder = s == 0 && holder != "-";
      std::string space = is_holder ? holder : crypto::time_ordered_uuid();
      for (long done = 0; done < per_space;) {
        Status st = (*store)->transact(store::TxMode::kWrite, [&](store::Transaction& direct) -> Status {
          BatchingTransaction tx(direct);
          if (!is_holder && done == 0) {
            auto k = keys.create(tx, space, format_instant(clock.now()));
            if (!k.is_ok()) return k.status();
          }
          std::vector<std::string> heights;
          for (long i = done; i < std::min(per_space, done + 10000); ++i) {
            std::string obs = observation(space, rng, lifetime);
            auto v = resources.create(tx, space, "Observation", obs);
            if (!v.is_ok()) return v.status();
            if (is_holder && sample.empty()) sample = v->id;
            if (obs.find("\"8302-2\"") != std::string::npos) heights.push_back(v->id);
          }
          CARNET_RETURN_IF_ERROR(tx.flush());
          // What the profile's hooks keep on write: the latest height, which a weight reads.
          for (const auto& id : heights) CARNET_RETURN_IF_ERROR(profile::note_latest_height(direct, space, id, false));
          return Status::ok();
        });
        if (!st.is_ok()) {
          failures[size_t(t)] = st.message();
          return;
        }
        done = std::min(per_space, done + 10000);
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
  std::printf("%s %s\n", sample.empty() ? "-" : sample.c_str(), kCodes[0]);
  std::fprintf(stderr, "populated %ld resources in %ld spaces in %.1f s (%.0f resources/s, %d threads)\n",
               spaces * per_space, spaces, secs, static_cast<double>(spaces * per_space) / secs, threads);
  return 0;
}
