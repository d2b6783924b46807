#include "identity/enrolment.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "store/scalar_for_testing.h"
#include "crypto/random.h"
#include "notify/outbox.h"

namespace carnet::identity {
namespace {

using namespace std::chrono;


const char kHeader[] = "nir,birth_name,first_names,birth_date,sex,birthplace,email,mobile,address,representatives\n";
const char kGood[] =
    "184057512345625,Dupont,\"Jean-Pierre, Marie\",1984-05-17,M,75056,jean.dupont@example.fr,,,\n"
    "284057523456726,Martin,Sophie,1984-05-02,F,75056,,06 12 34 56 78,,\n"
    "210057534567817,Dupont,Léa,2010-05-03,F,75056,jean.dupont@example.fr,,,184057512345625;284057523456726\n"
    "285016956789044,Bernard,Chloé,1985-01-20,F,69123,,,\"12 rue Victor Hugo\n69002 Lyon\",\n";
const char kBad[] =
    "184057512345626,Durand,Paul,1984-05-17,M,75056,paul@example.fr,,,\n"          // key
    "112059245678946,Petit,Hugo,2012-05-09,M,92050,hugo@example.fr,,,\n"            // minor, no representative
    "285016956789044,Bernard,Chloé,1985-01-20,F,69123,,,,\n"                         // no contact
    "184057512345625,Dupont,Jean,1984-05-17,M,75056,not-an-email,,,\n";              // bad e-mail

// A valid NIR (its key computed) from its first 13 characters.
std::string with_key(const std::string& body13) {
  int key = int(97 - std::stoull(body13) % 97);
  return body13 + (key < 10 ? "0" : "") + std::to_string(key);
}

class EnrolmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite({dir_.file("carnet.db")});
    ASSERT_TRUE(s.is_ok());
    store_ = std::move(s.value());
  }

  static ByteSource from_string(std::string text, size_t fail_after = std::string::npos) {
    auto state = std::make_shared<std::pair<std::string, size_t>>(std::move(text), 0);
    return [state, fail_after](char* buf, size_t cap) -> Result<size_t> {
      auto& [t, pos] = *state;
      if (pos >= fail_after) return Status::unavailable("simulated crash");
      size_t n = std::min({cap, t.size() - pos, fail_after - pos});
      std::copy_n(t.data() + pos, n, buf);
      pos += n;
      return n;
    };
  }

  Result<EnrolmentSummary> enrol(const std::string& text, std::vector<LineOutcome>* out = nullptr,
                                 size_t batch = 500, size_t fail_after = std::string::npos) {
    Enroller e(*store_, ring_, clock_, {days(42), batch});
    return e.run(from_string(text, fail_after), [&](const LineOutcome& o) {
      if (out) out->push_back(o);
    });
  }

  int64_t count(const std::string& sql) { return std::stoll(testing::scalar(*store_, sql)); }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  std::unique_ptr<store::Store> store_;
};

TEST_F(EnrolmentTest, GoodLinesEnrolledBadLinesReportedWithReasons) {
  std::vector<LineOutcome> out;
  auto s = enrol(std::string(kHeader) + kGood + kBad, &out);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->lines, 8u);
  EXPECT_EQ(s->enrolled, 4u);
  EXPECT_EQ(s->invalid, 4u);
  EXPECT_EQ(s->already_enrolled, 0u);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out[0].line, 2u);
  EXPECT_EQ(out[0].status, LineStatus::kEnrolled);
  EXPECT_EQ(out[4].status, LineStatus::kInvalid);
  EXPECT_NE(out[4].reason.find("key"), std::string::npos) << out[4].reason;
  EXPECT_EQ(out[4].line, 6u);  // the quoted address spans two physical lines, one record
  EXPECT_NE(out[5].reason.find("legal representative"), std::string::npos) << out[5].reason;
  EXPECT_NE(out[6].reason.find("no e-mail, mobile or postal address"), std::string::npos) << out[6].reason;
  EXPECT_NE(out[7].reason.find("e-mail"), std::string::npos) << out[7].reason;

  EXPECT_EQ(count("SELECT COUNT(*) FROM spaces WHERE state = 'notified'"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM space_keys"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM representatives"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM spaces WHERE adult_on = '2028-05-03'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM spaces WHERE opposition_deadline = '2027-01-03T10:00:00.000Z'"), 4);
}

TEST_F(EnrolmentTest, NoticeCarriesAWorkingCodeAndNoHealthData) {
  std::vector<LineOutcome> out;
  ASSERT_TRUE(enrol(std::string(kHeader) + kGood, &out).is_ok());
  notify::Outbox outbox(ring_);
  ASSERT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    auto n = outbox.read(tx, 1);
    EXPECT_TRUE(n.is_ok());
    EXPECT_EQ(n->channel, notify::Channel::kEmail);
    EXPECT_EQ(n->recipient, "jean.dupont@example.fr");
    EXPECT_EQ(n->template_id, "enrolment_notice");
    EXPECT_EQ(n->params["first_name"], "JEAN-PIERRE");
    EXPECT_EQ(n->params["deadline"], "2027-01-03");
    std::string code = n->params["code"];
    EXPECT_EQ(code.size(), 14u);
    auto row = tx.query_one("SELECT code_hash FROM spaces WHERE space_id = ?", {out[0].space_id});
    EXPECT_EQ((*row)->text(0), provisional_code_hash(ring_, out[0].space_id, code));
    EXPECT_EQ((*row)->text(0), provisional_code_hash(ring_, out[0].space_id, "  " + code.substr(0, 4) + " " + code.substr(5)));
    auto sms = outbox.read(tx, 2);
    EXPECT_EQ(sms->channel, notify::Channel::kSms);
    EXPECT_EQ(sms->recipient, "+33612345678");
    auto child = outbox.read(tx, 3);
    EXPECT_EQ(child->template_id, "enrolment_notice_minor");
    auto letter = outbox.read(tx, 4);
    EXPECT_EQ(letter->channel, notify::Channel::kLetter);
    EXPECT_EQ(letter->recipient, "CHLOE BERNARD\n12 rue Victor Hugo\n69002 Lyon");
    return Status::ok();
  }).is_ok());
  // Nothing personal in clear in the database file.
  std::ifstream in(dir_.file("carnet.db"), std::ios::binary);
  std::stringstream raw;
  raw << in.rdbuf();
  std::ifstream wal(dir_.file("carnet.db-wal"), std::ios::binary);
  raw << wal.rdbuf();
  for (const char* secret : {"DUPONT", "Dupont", "184057512345625", "jean.dupont", "Victor Hugo", "+33612345678"}) {
    EXPECT_EQ(raw.str().find(secret), std::string::npos) << secret;
  }
}

TEST_F(EnrolmentTest, ReimportChangesNothing) {
  ASSERT_TRUE(enrol(std::string(kHeader) + kGood).is_ok());
  std::vector<LineOutcome> out;
  auto again = enrol(std::string(kHeader) + kGood, &out);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->enrolled, 0u);
  EXPECT_EQ(again->already_enrolled, 4u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM spaces"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox"), 4);
}

TEST_F(EnrolmentTest, PersonWhoObjectedIsNeverEnrolledAgain) {
  std::vector<LineOutcome> out;
  ASSERT_TRUE(enrol(std::string(kHeader) + kGood, &out).is_ok());
  ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
    return tx.exec("UPDATE spaces SET state = 'opposed', identity = NULL WHERE space_id = ?", {out[0].space_id}).status();
  }).is_ok());
  std::vector<LineOutcome> again;
  auto s = enrol(std::string(kHeader) + kGood, &again);
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->objected, 1u);
  EXPECT_EQ(again[0].status, LineStatus::kObjected);
  EXPECT_NE(again[0].reason.find("never enrolled again"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox"), 4);
}

TEST_F(EnrolmentTest, CrashMidFileThenRerunEqualsOneCleanRun) {
  std::string file = kHeader;
  for (int i = 0; i < 60; ++i) {
    // Valid, distinct NIRs: vary the order number and recompute the key.
    file += with_key("1840575123" + std::to_string(100 + i)) + ",Nom" + std::string(1, char('A' + i % 26)) +
            ",Jean,1984-05-17,M,75056,p" + std::to_string(i) + "@example.fr,,,\n";
  }
  auto crashed = enrol(file, nullptr, 7, file.size() / 2);
  EXPECT_FALSE(crashed.is_ok());
  int64_t after_crash = count("SELECT COUNT(*) FROM spaces");
  EXPECT_GT(after_crash, 0);
  EXPECT_LT(after_crash, 60);
  auto rerun = enrol(file, nullptr, 7);
  ASSERT_TRUE(rerun.is_ok()) << rerun.status().message();
  EXPECT_EQ(rerun->enrolled + rerun->already_enrolled, 60u);
  EXPECT_EQ(int64_t(rerun->already_enrolled), after_crash);
  EXPECT_EQ(count("SELECT COUNT(*) FROM spaces"), 60);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox"), 60);  // one notice each, none twice
  EXPECT_EQ(count("SELECT COUNT(*) FROM space_keys"), 60);
}

TEST_F(EnrolmentTest, ThePipelineReportsLinesInOrderAndEnrolsAPersonOnceWithinAndAcrossBatches) {
  // Batches of 3 are written while the next is prepared: the same person twice in a batch,
  // again two batches later, and lines reported in file order all the same.
  std::string file = kHeader;
  std::vector<std::string> lines;
  for (int i = 0; i < 20; ++i) {
    lines.push_back(with_key("1840575123" + std::to_string(200 + i)) + ",Nom,Jean,1984-05-17,M,75056,q" + std::to_string(i) +
                    "@example.fr,,,\n");
  }
  for (int i = 0; i < 20; ++i) {
    file += lines[size_t(i)];
    if (i == 4) file += lines[3];   // same batch as line 3's first occurrence or the next
    if (i == 12) file += lines[0];  // batches later
  }
  file += "184057512345626,Durand,Paul,1984-05-17,M,75056,paul@example.fr,,,\n";  // bad key, last
  std::vector<LineOutcome> out;
  auto r = enrol(file, &out, 3);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->lines, 23u);
  EXPECT_EQ(r->enrolled, 20u);
  EXPECT_EQ(r->already_enrolled, 2u);
  EXPECT_EQ(r->invalid, 1u);
  ASSERT_EQ(out.size(), 23u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].line, i + 2) << "reported in file order";
  EXPECT_EQ(out[5].status, LineStatus::kAlreadyEnrolled);  // line 7: the person of line 5, same batch
  EXPECT_EQ(out[5].space_id, out[3].space_id);
  EXPECT_EQ(out[14].status, LineStatus::kAlreadyEnrolled);  // line 16: the person of line 2
  EXPECT_EQ(out[14].space_id, out[0].space_id);
  EXPECT_EQ(out[22].status, LineStatus::kInvalid);
  EXPECT_EQ(count("SELECT COUNT(*) FROM spaces"), 20);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox"), 20);
  EXPECT_EQ(count("SELECT COUNT(*) FROM space_keys"), 20);
}

TEST_F(EnrolmentTest, BadFilesAreRefusedWithAClearMessage) {
  auto unknown = enrol("nir,birth_name,first_names,birth_date,sex,birthplace,shoe_size\n");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("unknown column 'shoe_size'"), std::string::npos);
  auto missing = enrol("nir,birth_name\n");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("missing required column 'first_names'"), std::string::npos);
  EXPECT_FALSE(enrol("").is_ok());
  auto quote = enrol(std::string(kHeader) + "184057512345625,\"Dupont,Jean,1984-05-17,M,75056,a@b.fr,,,\n");
  EXPECT_FALSE(quote.is_ok());
  std::vector<LineOutcome> out;
  auto short_line = enrol(std::string(kHeader) + "184057512345625,Dupont\n", &out);
  ASSERT_TRUE(short_line.is_ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].reason.find("fields"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM spaces"), 0);
}

}  // namespace
}  // namespace carnet::identity
