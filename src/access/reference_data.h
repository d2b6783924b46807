// Reference data the access decision reads on every professional's request, kept in memory:
// professionals' professions (from the directory, changed by imports) and the access matrix
// in force (changed by an operator's import). Each copy is kept with the reference-data
// version (store::reference_version) it was read at; a request compares it with the version
// its own statement read, so that a change made through another instance, or by the carnet
// tool, is seen by the next request. Reads happen in the caller's transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "access/matrix.h"
#include "core/clock.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace carnet::access {

class ReferenceData {
 public:
  ReferenceData(const crypto::KeyRing& ring, const Clock& clock) : ring_(ring), clock_(clock) {}

  // The profession (RPPS code) of a professional as of `version`; kForbidden when the
  // directory no longer lists them or lists them as inactive (an inactive professional has
  // no access).
  Result<std::string> profession(store::Transaction& tx, const std::string& idnatps, int64_t version) const;
  // The matrix in force as of `version`.
  Result<std::shared_ptr<const Matrix>> matrix(store::Transaction& tx, int64_t version) const;

  // The matrix in force: the operator's import, or the national default.
  static Result<Matrix> read_matrix(store::Transaction& tx);
  // Replaces the matrix in force (every profession of `m` × every category); running
  // instances see the reference-data version change and read it again.
  static Status replace_matrix(store::Transaction& tx, const Matrix& m);

  // The operator's paths (their counts and imports; never health content), each in a
  // transaction of its own: the matrix in force, and its replacement.
  static Result<Matrix> operator_read_matrix(store::Store& store);
  static Status operator_replace_matrix(store::Store& store, const Matrix& m);

  // Forgets the copies kept here (an instance announced a change); the next request reads them again.
  void drop_caches() const;

 private:
  Result<std::string> load_profession(store::Transaction& tx, const std::string& idnatps) const;

  const crypto::KeyRing& ring_;
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::pair<std::string, int64_t>> professions_;
  mutable std::shared_ptr<const Matrix> matrix_;
  mutable int64_t matrix_version_ = -1;
};

}  // namespace carnet::access
