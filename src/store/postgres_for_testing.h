// Test support: a fresh, empty PostgreSQL database per test, on the server the test script
// started (scripts/postgres-test-server exports CARNET_TEST_POSTGRES, a libpq connection
// string without a database name). The database is dropped when the object goes.
#pragma once

#include <string>

namespace carnet::testing {

// CARNET_TEST_POSTGRES, or empty when no server was started for the tests.
std::string test_postgres_server();

class TestDatabase {
 public:
  TestDatabase();  // creates it; conninfo() is empty if that failed (error() says why)
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& conninfo() const { return conninfo_; }
  const std::string& error() const { return error_; }

 private:
  std::string name_, conninfo_, error_;
};

}  // namespace carnet::testing
