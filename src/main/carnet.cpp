// carnet: the administration tool. Shares the libraries of carnetd and works on the same
// data directory, safely alongside a running carnetd (SQLite WAL + busy timeout).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "access/audit.h"
#include "access/reference_data.h"
#include "core/config.h"
#include "documents/vault.h"
#include "store/blobs.h"
#include "core/log.h"
#include "crypto/keyring.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "identity/accounts.h"
#include "api/operator_handlers.h"
#include "identity/directory.h"
#include "identity/enrolment.h"
#include "main/demo.h"
#include "store/store.h"

namespace carnet {
namespace {

struct Context {
  std::optional<crypto::KeyRing> ring;
  std::unique_ptr<store::Store> store;
};

int fail(const Status& s) {
  std::cerr << "carnet: " << s.message() << "\n";
  return 1;
}

// --database (or CARNET_DATABASE), --document-storage: the same settings as carnetd's.
std::string g_database;
std::string g_document_storage = "files";

Result<Context> open_context(const std::string& data_dir, const std::string& key_file) {
  Context c;
  const char* env_key = std::getenv("CARNET_MASTER_KEY");
  auto ring = crypto::KeyRing::open({key_file.empty() ? data_dir + "/master.key" : key_file,
                                     env_key ? std::optional<std::string>(env_key) : std::nullopt});
  if (!ring.is_ok()) return ring.status();
  c.ring = std::move(ring.value());
  auto store = store::open_store(g_database, data_dir, 4);
  if (!store.is_ok()) return store.status();
  c.store = std::move(store.value());
  return c;
}

int cmd_audit_verify(const std::string& data_dir, const std::string& key_file) {
  auto ctx = open_context(data_dir, key_file);
  if (!ctx.is_ok()) return fail(ctx.status());
  SystemClock clock;
  access::AuditLog log(*ctx->store, *ctx->ring, clock);
  int64_t problems = 0, checked = 0;
  Status s = ctx->store->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto n = log.verify(tx, [&](const access::AuditProblem& p) {
      ++problems;
      std::cout << "space " << p.space_id << ", event " << p.seq << ": " << p.what << "\n";
    });
    if (!n.is_ok()) return n.status();
    checked = *n;
    return Status::ok();
  });
  if (!s.is_ok()) return fail(s);
  std::cout << checked << " events checked, " << problems << " problems\n";
  return problems == 0 ? 0 : 1;
}

// Removes document blobs no record names, written more than `grace` ago.
int cmd_collect_orphans(const std::string& data_dir, const std::string& key_file, const std::string& blob_dir,
                        const std::string& grace_text) {
  auto grace = parse_duration(grace_text);
  if (!grace) return fail(Status::invalid("--grace: '" + grace_text + "' is not a duration"));
  auto ctx = open_context(data_dir, key_file);
  if (!ctx.is_ok()) return fail(ctx.status());
  auto blobs = store::open_blob_store(g_document_storage, blob_dir.empty() ? data_dir + "/blobs" : blob_dir, *ctx->store);
  if (!blobs.is_ok()) return fail(blobs.status());
  SystemClock clock;
  documents::Vault vault(**blobs, *ctx->ring, clock, 0);
  auto n = vault.collect_orphans(*ctx->store, std::chrono::duration_cast<std::chrono::seconds>(*grace));
  if (!n.is_ok()) return fail(n.status());
  std::cout << *n << " orphan document blobs removed\n";
  return 0;
}

// Prints the matrix in force, or replaces it with the CSV file `file`.
int cmd_matrix(const std::string& data_dir, const std::string& key_file, const std::string& file) {
  auto ctx = open_context(data_dir, key_file);
  if (!ctx.is_ok()) return fail(ctx.status());
  if (file.empty()) {
    std::string csv;
    Status s = ctx->store->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
      auto m = access::ReferenceData::read_matrix(tx);
      if (!m.is_ok()) return m.status();
      csv = m->to_csv();
      return Status::ok();
    });
    if (!s.is_ok()) return fail(s);
    std::cout << csv;
    return 0;
  }
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto m = access::Matrix::parse_csv(text);
  if (!m.is_ok()) return fail(m.status().with_context(file));
  Status s = ctx->store->transact(store::TxMode::kWrite,
                                  [&](store::Transaction& tx) { return access::ReferenceData::replace_matrix(tx, *m); });
  if (!s.is_ok()) return fail(s);
  std::cout << "matrix replaced: " << m->professions().size() << " professions\n";
  return 0;
}

int cmd_enrol(const std::string& data_dir, const std::string& key_file, const std::string& file,
              const std::string& report_path, const std::string& window, size_t batch) {
  auto days = parse_duration(window);
  if (!days || days->count() <= 0) {
    std::cerr << "carnet: --opposition-window: invalid duration '" << window << "' (e.g. 42d)\n";
    return 2;
  }
  std::FILE* in = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
  if (!in) return fail(Status::not_found("cannot open " + file));
  std::ofstream report_file;
  std::ostream* report = &std::cout;
  if (!report_path.empty()) {
    report_file.open(report_path, std::ios::trunc);
    if (!report_file) return fail(Status::unavailable("cannot write " + report_path));
    report = &report_file;
  }
  auto ctx = open_context(data_dir, key_file);
  if (!ctx.is_ok()) return fail(ctx.status());
  SystemClock clock;
  identity::Enroller enroller(*ctx->store, *ctx->ring, clock,
                              {*days, batch});
  auto summary = enroller.run(
      [in](char* buf, size_t cap) -> Result<size_t> {
        size_t n = std::fread(buf, 1, cap, in);
        if (n == 0 && std::ferror(in)) return Status::unavailable("read error");
        return n;
      },
      [report](const identity::LineOutcome& o) { *report << api::enrolment_line_json(o).dump() << "\n"; });
  if (in != stdin) std::fclose(in);
  if (!summary.is_ok()) return fail(summary.status().with_context(file));
  *report << api::enrolment_summary_json(*summary).dump() << "\n";
  report->flush();
  std::cerr << "carnet: " << summary->lines << " lines: " << summary->enrolled << " enrolled, "
            << summary->already_enrolled << " already enrolled, " << summary->objected << " objected before, "
            << summary->invalid << " invalid\n";
  return 0;
}

int cmd_directory_import(const std::string& data_dir, const std::string& key_file, const std::string& file) {
  std::FILE* in = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
  if (!in) return fail(Status::not_found("cannot open " + file));
  auto ctx = open_context(data_dir, key_file);
  if (!ctx.is_ok()) return fail(ctx.status());
  SystemClock clock;
  identity::DirectoryImporter importer(*ctx->store, *ctx->ring, clock);
  auto s = importer.run(
      [in](char* buf, size_t cap) -> Result<size_t> {
        size_t n = std::fread(buf, 1, cap, in);
        if (n == 0 && std::ferror(in)) return Status::unavailable("read error");
        return n;
      },
      [](const identity::DirectoryLineError& e) {
        std::cout << nlohmann::json{{"line", e.line}, {"status", "invalid"}, {"reason", e.reason}}.dump() << "\n";
      });
  if (in != stdin) std::fclose(in);
  if (!s.is_ok()) return fail(s.status().with_context(file));
  std::cout << api::directory_summary_json(*s).dump() << "\n";
  return 0;
}

int cmd_operator_create(const std::string& data_dir, const std::string& key_file, const std::string& login) {
  auto ctx = open_context(data_dir, key_file);
  if (!ctx.is_ok()) return fail(ctx.status());
  SystemClock clock;
  identity::Accounts accounts(*ctx->store, *ctx->ring, clock, {});
  std::string password = crypto::random_token(18);
  auto secret = accounts.create_operator(login, password);
  if (!secret.is_ok()) return fail(secret.status());
  std::cout << "operator account created\n"
            << "  login:    " << *identity::normalize_login(login) << "\n"
            << "  password: " << password << "\n"
            << "  TOTP:     " << crypto::otpauth_uri("Carnet", *identity::normalize_login(login), *secret) << "\n"
            << "Shown once: hand them over in person. Sign in with POST /api/v1/sign-in.\n";
  return 0;
}

}  // namespace
}  // namespace carnet

int main(int argc, char** argv) {
  using namespace carnet;
  log::init(log::Level::kWarn);
  CLI::App app{"carnet — Carnet administration tool"};
  app.require_subcommand(1);
  std::string data_dir = "data";
  std::string key_file;
  app.add_option("--data-dir", data_dir, "Data directory")->envname("CARNET_DATA_DIR")->capture_default_str();
  app.add_option("--database", g_database,
                 "postgresql://user@host/db for PostgreSQL; sqlite:PATH; default: SQLite in <data-dir>/carnet.db")
      ->envname("CARNET_DATABASE");
  app.add_option("--document-storage", g_document_storage, "Where document bytes live: files or database")
      ->envname("CARNET_DOCUMENT_STORAGE")->check(CLI::IsMember({"files", "database"}))->capture_default_str();
  app.add_option("--master-key-file", key_file, "Master key file (default <data-dir>/master.key)")
      ->envname("CARNET_MASTER_KEY_FILE");

  auto* migrate = app.add_subcommand("migrate", "Create or upgrade the database schema and print its version");
  auto* fingerprint = app.add_subcommand("key-fingerprint", "Print the master key's fingerprint (creating the key file if absent)");

  auto* enrol = app.add_subcommand("enrol", "Enrol the people of a beneficiary file (CSV; see README)");
  std::string enrol_file, report_path, window = "42d";
  size_t batch = 2000;
  enrol->add_option("FILE", enrol_file, "CSV file, or - for standard input")->required();
  enrol->add_option("--report", report_path, "Write the JSON-lines report here instead of standard output");
  enrol->add_option("--opposition-window", window, "Time to object before the space opens")
      ->envname("CARNET_OPPOSITION_WINDOW")->capture_default_str();
  enrol->add_option("--batch-size", batch, "Lines per transaction")->check(CLI::Range(1, 100000))->capture_default_str();

  auto* directory = app.add_subcommand("directory", "The professionals' directory");
  directory->require_subcommand(1);
  auto* dir_import = directory->add_subcommand("import", "Import the RPPS extraction (PS_LibreAcces_Personne_activite, '|'-separated)");
  std::string dir_file;
  dir_import->add_option("FILE", dir_file, "The extraction file, or - for standard input")->required();
  auto* demo = app.add_subcommand("demo", "Create the demonstration data set (once) and print the demo sign-ins");
  auto* audit = app.add_subcommand("audit", "The audit trail");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand("verify", "Check every space's hash chain; name each changed, missing or moved event");
  auto* access = app.add_subcommand("access", "Access policy data");
  access->require_subcommand(1);
  auto* matrix = access->add_subcommand("matrix", "The profession x document-category matrix");
  matrix->require_subcommand(1);
  auto* matrix_export = matrix->add_subcommand("export", "Print the matrix in force as CSV");
  auto* matrix_import = matrix->add_subcommand("import", "Replace the matrix in force (CSV: profession_code,profession_label,category,allowed)");
  std::string matrix_file;
  matrix_import->add_option("FILE", matrix_file, "The CSV file")->required()->check(CLI::ExistingFile);
  auto* docs = app.add_subcommand("documents", "Health documents");
  docs->require_subcommand(1);
  auto* collect = docs->add_subcommand("collect-orphans",
                                       "Remove document bytes no record names (failed uploads, uploads cut by a crash)");
  std::string grace = "6h", blob_dir;
  collect->add_option("--grace", grace, "Only blobs older than this (uploads in progress are younger)")->capture_default_str();
  collect->add_option("--blob-dir", blob_dir, "Blob directory (default <data-dir>/blobs)")->envname("CARNET_BLOB_DIR");
  auto* op = app.add_subcommand("operator", "Operator accounts");
  op->require_subcommand(1);
  auto* op_create = op->add_subcommand("create", "Create an operator account (prints a password and a TOTP URI once)");
  std::string op_login;
  op_create->add_option("LOGIN", op_login, "The operator's e-mail address")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      std::cout << app.help();
      return 0;
    }
    std::cerr << "carnet: " << e.what() << "\n";
    return 2;
  }
  if (migrate->parsed()) {
    auto ctx = open_context(data_dir, key_file);
    if (!ctx.is_ok()) return fail(ctx.status());
    std::cout << "schema version " << ctx->store->schema_version() << "\n";
    return 0;
  }
  if (fingerprint->parsed()) {
    auto ctx = open_context(data_dir, key_file);
    if (!ctx.is_ok()) return fail(ctx.status());
    std::cout << ctx->ring->fingerprint() << "\n";
    return 0;
  }
  if (enrol->parsed()) return cmd_enrol(data_dir, key_file, enrol_file, report_path, window, batch);
  if (op_create->parsed()) return cmd_operator_create(data_dir, key_file, op_login);
  if (dir_import->parsed()) return cmd_directory_import(data_dir, key_file, dir_file);
  if (audit_verify->parsed()) return cmd_audit_verify(data_dir, key_file);
  if (collect->parsed()) return cmd_collect_orphans(data_dir, key_file, blob_dir, grace);
  if (matrix_export->parsed()) return cmd_matrix(data_dir, key_file, "");
  if (matrix_import->parsed()) return cmd_matrix(data_dir, key_file, matrix_file);
  if (demo->parsed()) {
    auto ctx = open_context(data_dir, key_file);
    if (!ctx.is_ok()) return fail(ctx.status());
    return seed_demo(*ctx->store, *ctx->ring, std::cout);
  }
  return 2;
}
