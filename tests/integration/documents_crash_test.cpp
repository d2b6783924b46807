// Crash safety of document uploads: carnetd is killed (SIGKILL) in the middle of 100
// concurrent uploads and restarted. Every upload that was acknowledged (201) is complete and
// readable; every document visible is complete (its bytes match its size and SHA-1);
// nothing half-written is visible; the orphan collector then leaves exactly one blob per
// stored document.
#include <signal.h>

#include <mutex>

#include "core/encoding.h"
#include "crypto/digest.h"
#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

std::string document(size_t size, unsigned seed) {
  std::string s = "%PDF-1.4\n% upload " + std::to_string(seed) + "\n";
  uint32_t x = seed * 2654435761u + 7;
  while (s.size() < size) {
    x = x * 1664525u + 1013904223u;
    s += char(x >> 24);
  }
  return s;
}

std::string sha1_b64(const std::string& bytes) {
  return base64_encode(crypto::Digest::of(crypto::Digest::Algorithm::kSha1, bytes).value());
}

TEST_F(Fhir, UploadsSurviveAKillInTheMiddle) {
  std::string space = json::parse(http_request(d_.port(), "GET", "/api/v1/me", "", {jean_})->body)["space_id"];
  constexpr int kUploads = 100;
  std::vector<std::string> payloads;
  for (int i = 0; i < kUploads; ++i) payloads.push_back(document(150 * 1024 + size_t(i) * 997, unsigned(i + 1)));

  std::mutex mu;
  std::map<int, std::string> acknowledged;  // upload -> DocumentReference id
  std::atomic<int> answered{0};
  int port = d_.port();
  std::vector<std::thread> threads;
  for (int i = 0; i < kUploads; ++i) {
    threads.emplace_back([&, i] {
      json doc = {{"resourceType", "DocumentReference"},
                  {"status", "current"},
                  {"subject", {{"reference", "Patient/" + space}}},
                  {"content", {{{"attachment", {{"contentType", "application/pdf"}, {"title", "upload-" + std::to_string(i) + ".pdf"},
                                                {"data", base64_encode(payloads[size_t(i)])}}}}}}};
      auto r = http_request(port, "POST", "/fhir/r4/DocumentReference", doc.dump(),
                            {jean_, "Content-Type: application/fhir+json"});
      if (r && r->status == 201) {
        std::lock_guard lock(mu);
        acknowledged[i] = json::parse(r->body)["id"];
      }
      ++answered;
    });
  }
  // Kill once a good part has been answered, while the rest is in flight.
  for (int i = 0; i < 400 && answered.load() < 25; ++i) std::this_thread::sleep_for(5ms);
  d_.signal(SIGKILL);
  for (auto& t : threads) t.join();
  ASSERT_EQ(d_.wait_exit(5s), -SIGKILL);
  std::map<int, std::string> acked;
  {
    std::lock_guard lock(mu);
    acked = acknowledged;
  }
  EXPECT_GT(acked.size(), 0u);
  EXPECT_LT(acked.size(), size_t(kUploads)) << "the kill came too late to test anything";

  ASSERT_TRUE(d_.start(args({"--job-interval", "200ms"}))) << d_.stderr_text();
  // Every acknowledged upload is there, whole.
  for (const auto& [i, id] : acked) {
    auto r = http_request(d_.port(), "GET", "/fhir/r4/DocumentReference/" + id, "", {jean_});
    ASSERT_EQ(r->status, 200) << "upload " << i << ": " << r->body;
    std::string url = json::parse(r->body)["content"][0]["attachment"]["url"];
    auto bytes = http_request(d_.port(), "GET", "/fhir/r4/" + url, "", {jean_});
    ASSERT_EQ(bytes->status, 200);
    EXPECT_EQ(bytes->body == payloads[size_t(i)], true) << "upload " << i;
  }
  // Every visible document is complete: no half-written one.
  size_t visible = 0;
  std::string next = "/fhir/r4/DocumentReference?_count=200";
  while (!next.empty()) {
    auto page = http_request(d_.port(), "GET", next, "", {jean_});
    ASSERT_EQ(page->status, 200);
    json set = json::parse(page->body);
    next.clear();
    for (const auto& l : set.value("link", json::array())) {
      if (l["relation"] == "next") next = l["url"].get<std::string>().substr(l["url"].get<std::string>().find("/fhir/"));
    }
    for (const auto& e : set.value("entry", json::array())) {
      ++visible;
      json a = e["resource"]["content"][0]["attachment"];
      auto bytes = http_request(d_.port(), "GET", "/fhir/r4/" + a["url"].get<std::string>(), "", {jean_});
      ASSERT_EQ(bytes->status, 200);
      EXPECT_EQ(bytes->body.size(), a["size"].get<size_t>());
      EXPECT_EQ(sha1_b64(bytes->body), a["hash"]);
    }
  }
  std::cout << acked.size() << " of " << kUploads << " uploads acknowledged before the kill; " << visible
            << " documents visible after the restart, all complete\n";
  EXPECT_GE(visible, acked.size());  // some may have committed without their answer leaving
  EXPECT_LE(visible, size_t(kUploads));

  // The orphan collector leaves exactly one blob per stored document.
  d_.signal(SIGTERM);
  ASSERT_EQ(d_.wait_exit(10s), 0);
  std::string out = carnet_cli(d_.data_dir(), "documents collect-orphans --grace 0s");
  EXPECT_NE(out.find("orphan document blobs removed"), std::string::npos) << out;
  EXPECT_EQ(stored_blobs(d_.data_dir()), visible);
}

}  // namespace
}  // namespace carnet::itest
