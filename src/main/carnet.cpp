// carnet: the administration tool. Shares the libraries of carnetd; works on the same data
// directory, safely alongside a running carnetd (SQLite WAL + busy timeout).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "crypto/keyring.h"
#include "store/store.h"

namespace {

int cmd_migrate(const std::string& data_dir) {
  auto store = carnet::store::open_sqlite({data_dir + "/carnet.db"});
  if (!store.is_ok()) {
    std::cerr << "carnet: " << store.status().message() << "\n";
    return 1;
  }
  std::cout << "schema version " << (*store)->schema_version() << "\n";
  return 0;
}

int cmd_key_fingerprint(const std::string& data_dir, const std::string& key_file) {
  const char* env_key = std::getenv("CARNET_MASTER_KEY");
  auto ring = carnet::crypto::KeyRing::open(
      {key_file.empty() ? data_dir + "/master.key" : key_file,
       env_key ? std::optional<std::string>(env_key) : std::nullopt});
  if (!ring.is_ok()) {
    std::cerr << "carnet: " << ring.status().message() << "\n";
    return 1;
  }
  std::cout << ring->fingerprint() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"carnet — Carnet administration tool"};
  app.require_subcommand(1);
  std::string data_dir = "data";
  std::string key_file;
  app.add_option("--data-dir", data_dir, "Data directory")->envname("CARNET_DATA_DIR")->capture_default_str();
  auto* migrate = app.add_subcommand("migrate", "Create or upgrade the database schema and print its version");
  auto* fingerprint = app.add_subcommand("key-fingerprint", "Print the master key's fingerprint (creating the key file if absent)");
  fingerprint->add_option("--master-key-file", key_file, "Master key file")->envname("CARNET_MASTER_KEY_FILE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "carnet: " << e.what() << "\n";
    return 2;
  }
  if (migrate->parsed()) return cmd_migrate(data_dir);
  if (fingerprint->parsed()) return cmd_key_fingerprint(data_dir, key_file);
  return 2;
}
