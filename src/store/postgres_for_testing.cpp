#include "store/postgres_for_testing.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "crypto/random.h"
#include "core/encoding.h"

namespace carnet::testing {
namespace {

// Runs one command on the server's maintenance database; returns the error, or empty.
std::string admin(const std::string& command) {
  PGconn* c = PQconnectdb((test_postgres_server() + " dbname=postgres").c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, command.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return error;
}

}  // namespace

std::string test_postgres_server() {
  const char* s = std::getenv("CARNET_TEST_POSTGRES");
  return s ? s : "";
}

TestDatabase::TestDatabase() {
  if (test_postgres_server().empty()) {
    error_ = "CARNET_TEST_POSTGRES is not set (scripts/postgres-test-server starts a server)";
    return;
  }
  name_ = "carnet_test_" + hex_encode(crypto::random_bytes(8));
  error_ = admin("CREATE DATABASE " + name_);
  if (error_.empty()) conninfo_ = test_postgres_server() + " dbname=" + name_;
}

TestDatabase::~TestDatabase() {
  if (!conninfo_.empty()) admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

}  // namespace carnet::testing
