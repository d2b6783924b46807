// Notices through real protocol peers: an SMTP server (aiosmtpd, from Debian) and an HTTP
// SMS gateway stand-in, both started by the test on 127.0.0.1 and stopped by process id.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/harness.h"

namespace carnet::itest {
namespace {

using namespace std::chrono_literals;

pid_t spawn(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

std::string read_all(const std::filesystem::path& dir) {
  std::string all;
  if (!std::filesystem::exists(dir)) return all;
  for (auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path());
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

TEST(Relays, EmailThroughSmtpAndSmsThroughTheGateway) {
  Carnetd d;
  int smtp_port = free_port();
  std::string maildir = d.dir().file("maildir");
  pid_t smtp = spawn({"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(smtp_port), "-c",
                      "aiosmtpd.handlers.Mailbox", maildir});
  std::string port_file = d.dir().file("sms.port"), sms_out = d.dir().file("sms.jsonl");
  pid_t sms = spawn({"/usr/bin/python3", std::string(SOURCE_DIR) + "/tests/integration/fake_sms_gateway.py", port_file,
                     sms_out, "s3cret-token"});
  std::string sms_port;
  for (int i = 0; i < 100 && sms_port.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    std::ifstream(port_file) >> sms_port;
  }
  ASSERT_FALSE(sms_port.empty());
  std::this_thread::sleep_for(300ms);  // aiosmtpd binds asynchronously

  std::ofstream(d.dir().file("f.csv"))
      << "nir,birth_name,first_names,birth_date,sex,birthplace,email,mobile,address\n"
         "184057512345625,Dupont,Jean,1984-05-17,M,75056,jean@example.fr,,\n"
         "284057523456726,Martin,Sophie,1984-05-02,F,75056,,06 12 34 56 78,\n"
         "285016956789044,Bernard,Chloé,1985-01-20,F,69123,,,12 rue Victor Hugo 69002 Lyon\n";
  carnet_cli(d.data_dir(), "enrol " + d.dir().file("f.csv"));
  ASSERT_TRUE(d.start({{"--job-interval", "200ms", "--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port),
                        "--smtp-from", "carnet@example.org", "--sms-gateway-url", "http://127.0.0.1:" + sms_port + "/send"},
                       {{"CARNET_SMS_GATEWAY_TOKEN", "s3cret-token"}},
                       true}))
      << d.stderr_text();
  std::string mail, texts, letters;
  for (int i = 0; i < 100; ++i) {
    mail = read_all(maildir);
    std::ifstream s(sms_out);
    std::stringstream ss;
    ss << s.rdbuf();
    texts = ss.str();
    std::ifstream l(d.data_dir() + "/notices.jsonl");
    std::stringstream ls;
    ls << l.rdbuf();
    letters = ls.str();
    if (!mail.empty() && !texts.empty() && !letters.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  stop(smtp);
  stop(sms);
  EXPECT_NE(mail.find("To: <jean@example.fr>"), std::string::npos) << mail;
  EXPECT_NE(mail.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(texts.find("\"to\":\"+33612345678\""), std::string::npos) << texts;
  EXPECT_NE(texts.find("Votre code provisoire") , std::string::npos) << texts;
  // Letters always go to the notices file (for the mailing house); nothing else does.
  EXPECT_NE(letters.find("\"channel\":\"letter\""), std::string::npos) << letters;
  EXPECT_EQ(letters.find("jean@example.fr"), std::string::npos);
  EXPECT_EQ(d.stderr_text().find("s3cret-token"), std::string::npos);  // secrets never logged
}

}  // namespace
}  // namespace carnet::itest
