#include "main/demo.h"

#include <chrono>

#include "core/csv.h"
#include "core/embedded.h"
#include "identity/accounts.h"
#include "identity/directory.h"
#include "identity/enrolment.h"
#include "crypto/totp.h"
#include "notify/outbox.h"

namespace carnet {

const std::vector<EmbeddedFile>& demo_data_files();  // generated: src/identity/data/rpps-demo.txt

namespace {

// Test NIRs (valid keys), fictitious people.
const char kDemoFile[] =
    "nir,birth_name,first_names,birth_date,sex,birthplace,email,mobile,address,representatives\n"
    "184057512345625,Dupont,Jean,1984-05-17,M,75056,jean.dupont@demo.carnet,,,\n"
    "284057523456726,Martin,Sophie,1984-05-02,F,75056,sophie.martin@demo.carnet,06 12 34 56 78,,\n"
    "210057534567817,Dupont,Léa,2010-05-03,F,75056,jean.dupont@demo.carnet,,,184057512345625;284057523456726\n"
    "285016956789044,Bernard,Chloé,1985-01-20,F,69123,,,\"12 rue Victor Hugo\n69002 Lyon\",\n";

struct DemoHolder {
  const char* nir;
  const char* birth_date;
  const char* login;
  const char* password;
};
const DemoHolder kHolders[] = {
    {"184057512345625", "1984-05-17", "jean.dupont@demo.carnet", "Velo-Rouge-Montagne-26"},
    {"284057523456726", "1984-05-02", "sophie.martin@demo.carnet", "Piano-Bleu-Riviere-26"},
};

// Professionals of the demo directory (src/identity/data/rpps-demo.txt) with accounts; their
// second factor is an e-mailed code, like the holders'.
struct DemoProfessional {
  const char* idnatps;
  const char* login;
  const char* password;
  const char* who;
};
const DemoProfessional kProfessionals[] = {
    {"810100000001", "cabinet.martin@demo.carnet", "Stetho-Vert-Colline-26", "Dr Claire Martin, GP"},
    {"810100000002", "pharmacie.terreaux@demo.carnet", "Mortier-Blanc-Saone-26", "Marc Dubois, pharmacist"},
    {"810100000003", "julie.leroy@demo.carnet", "Seringue-Jaune-Rhone-26", "Julie Leroy, nurse"},
};

// The operator signs in with an authenticator app: a fixed secret, so that anyone trying
// Carnet can add it to theirs (or compute codes with oathtool). Demonstration only.
constexpr char kOperatorLogin[] = "agent@demo.carnet";
constexpr char kOperatorPassword[] = "Guichet-Bleu-Caisse-26";
constexpr char kOperatorSecret[] = "carnet-demo-totp-20b";  // 20 bytes

// The code parameter of the newest notice of `template_id` sent to `recipient`.
Result<std::string> latest_code(store::Store& store, const notify::Outbox& outbox, const std::string& recipient,
                                const std::string& template_id, const std::string& param = "code") {
  std::string code;
  Status s = store.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    return tx.query_each("SELECT id FROM outbox WHERE template = ? ORDER BY id DESC", {template_id},
                         [&](const store::Row& r) {
                           auto n = outbox.read(tx, r.integer(0));
                           if (n.is_ok() && n->recipient == recipient && code.empty()) code = n->params[param];
                           return Status::ok();
                         });
  });
  if (!s.is_ok()) return s;
  if (code.empty()) return Status::not_found("no " + template_id + " notice for " + recipient);
  return code;
}

void print_sign_ins(std::ostream& out) {
  out << "Demo sign-ins (second factor: a code e-mailed to data/notices.jsonl):\n";
  for (const auto& h : kHolders) out << "  " << h.login << "  /  " << h.password << "\n";
  out << "  (Jean Dupont and Sophie Martin also manage the space of their daughter Léa.)\n";
  out << "Professionals (same second factor):\n";
  for (const auto& p : kProfessionals) out << "  " << p.login << "  /  " << p.password << "   (" << p.who << ")\n";
  out << "Operator (second factor: an authenticator app; key " << crypto::base32_encode(kOperatorSecret)
      << ", or: oathtool --totp -b " << crypto::base32_encode(kOperatorSecret) << "):\n";
  out << "  " << kOperatorLogin << "  /  " << kOperatorPassword << "\n";
  out << "Not yet activated: Chloé Bernard (NIR 2 85 01 69 567 890 44, born 20/01/1985); her provisional code\n"
         "  is in the letter notice (template enrolment_notice) in data/notices.jsonl.\n";
}

// Activates an account started by `started` with the e-mailed code sent to `login`.
Status confirm_by_email(identity::Accounts& accounts, store::Store& store, const notify::Outbox& outbox,
                        const identity::ActivationStarted& started, const std::string& login) {
  auto otp = latest_code(store, outbox, login, "one_time_code");
  if (!otp.is_ok()) return otp.status();
  return accounts.confirm_activation(started.activation_id, *otp, identity::SessionKind::kBearer, {"127.0.0.1", "carnet demo"})
      .status();
}

}  // namespace

int seed_demo(store::Store& store, const crypto::KeyRing& ring, std::ostream& out) {
  int64_t spaces = 0, demo_accounts = 0;
  Status counted = store.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    auto r = tx.query_one("SELECT COUNT(*) FROM spaces");
    if (!r.is_ok()) return r.status();
    spaces = (*r)->integer(0);
    auto a = tx.query_one("SELECT COUNT(*) FROM accounts WHERE login_hash = ?",
                          {store::Blob{ring.lookup_hash("login", kHolders[0].login)}});
    if (!a.is_ok()) return a.status();
    demo_accounts = (*a)->integer(0);
    return Status::ok();
  });
  if (!counted.is_ok()) {
    out << "demo: " << counted.message() << "\n";
    return 1;
  }
  if (demo_accounts > 0) {
    print_sign_ins(out);
    return 0;
  }
  if (spaces > 0) {
    out << "demo: this data directory already holds other data; no demo data added\n";
    return 0;
  }
  SystemClock clock;
  identity::Enroller enroller(store, ring, clock);
  std::string file = kDemoFile;
  auto summary = enroller.run(
      read_from(file),
      [](const identity::LineOutcome&) {});
  if (!summary.is_ok() || summary->enrolled != 4) {
    out << "demo: enrolment failed: " << summary.status().message() << "\n";
    return 1;
  }
  notify::Outbox outbox(ring);
  identity::SecurityOptions security;
  security.password_cost = {2, 32ull << 20};
  identity::Accounts accounts(store, ring, clock, security);
  for (const auto& h : kHolders) {
    auto code = latest_code(store, outbox, h.login, "enrolment_notice");
    if (!code.is_ok()) {
      out << "demo: " << code.status().message() << "\n";
      return 1;
    }
    auto started = accounts.start_activation({{h.nir, h.birth_date, *code}, h.login, h.password, "email"});
    if (!started.is_ok()) {
      out << "demo: activation of " << h.login << ": " << started.status().message() << "\n";
      return 1;
    }
    Status done = confirm_by_email(accounts, store, outbox, *started, h.login);
    if (!done.is_ok()) {
      out << "demo: activation of " << h.login << ": " << done.message() << "\n";
      return 1;
    }
  }
  for (const auto& f : demo_data_files()) {
    identity::DirectoryImporter importer(store, ring, clock);
    auto imported = importer.run(
        read_from(f.contents),
        [](const identity::DirectoryLineError&) {});
    if (!imported.is_ok()) {
      out << "demo: directory import failed: " << imported.status().message() << "\n";
      return 1;
    }
  }
  for (const auto& p : kProfessionals) {
    Status s = accounts.invite_professional(p.idnatps, p.login);
    auto invitation = s.is_ok() ? latest_code(store, outbox, p.login, "professional_invitation", "invitation") : Result<std::string>(s);
    auto started = invitation.is_ok() ? accounts.start_professional_activation(*invitation, p.password, "email")
                                      : Result<identity::ActivationStarted>(invitation.status());
    Status done = started.is_ok() ? confirm_by_email(accounts, store, outbox, *started, p.login) : started.status();
    if (!done.is_ok()) {
      out << "demo: account of " << p.login << ": " << done.message() << "\n";
      return 1;
    }
  }
  auto op = accounts.create_operator(kOperatorLogin, kOperatorPassword, kOperatorSecret);
  if (!op.is_ok()) {
    out << "demo: operator account: " << op.status().message() << "\n";
    return 1;
  }
  out << "demo: 4 people enrolled (one a minor), 2 holders activated, 3 professionals in the directory with accounts, "
         "1 operator\n";
  print_sign_ins(out);
  return 0;
}

}  // namespace carnet
