#include "access/reference_data.h"

#include <nlohmann/json.hpp>

#include "fhir/resource_store.h"
#include "identity/directory.h"
#include "store/insert_rows.h"

namespace carnet::access {

Result<Matrix> ReferenceData::read_matrix(store::Transaction& tx) {
  Matrix m;
  bool any = false;
  CARNET_RETURN_IF_ERROR(tx.query_each(
      "SELECT profession_code, profession_label, category, allowed FROM access_matrix", {}, [&](const store::Row& r) {
        any = true;
        return m.add(r.text(0), r.text(1), r.text(2), r.integer(3) != 0);
      }));
  if (!any) return Matrix::national_default();
  return m;
}

Status ReferenceData::replace_matrix(store::Transaction& tx, const Matrix& m) {
  CARNET_RETURN_IF_ERROR(tx.exec("DELETE FROM access_matrix").status());
  std::vector<std::vector<store::Value>> rows;
  for (const auto& [code, label] : m.professions()) {
    for (std::string_view c : kCategories) rows.push_back({code, label, std::string(c), int64_t{m.allows(code, c)}});
  }
  CARNET_RETURN_IF_ERROR(
      store::insert_rows(tx, "access_matrix", "profession_code, profession_label, category, allowed", std::move(rows)).status());
  return store::bump_reference_version(tx);
}

Result<Matrix> ReferenceData::operator_read_matrix(store::Store& store) {
  Matrix out;
  Status s = store.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto m = read_matrix(tx);
    if (!m.is_ok()) return m.status();
    out = std::move(*m);
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return out;
}

Status ReferenceData::operator_replace_matrix(store::Store& store, const Matrix& m) {
  return store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) { return replace_matrix(tx, m); });
}

void ReferenceData::drop_caches() const {
  std::lock_guard lock(mu_);
  matrix_.reset();
  matrix_version_ = -1;
  professions_.clear();
}

Result<std::string> ReferenceData::load_profession(store::Transaction& tx, const std::string& idnatps) const {
  fhir::ResourceStore resources(ring_, clock_);
  auto v = resources.read(tx, fhir::kDirectoryCompartment, "Practitioner", identity::practitioner_id(idnatps));
  if (!v.is_ok()) {
    if (v.status().code() == ErrorCode::kNotFound || v.status().code() == ErrorCode::kGone) {
      return Status::forbidden("the national directory no longer lists this professional");
    }
    return v.status();
  }
  auto doc = nlohmann::json::parse(v->json, nullptr, false);
  if (!doc.is_object()) return Status::corrupt("the directory's entry of this professional is not a resource");
  auto active = doc.find("active");
  if (active != doc.end() && active->is_boolean() && !active->get<bool>()) {
    return Status::forbidden("the national directory lists this professional as inactive");
  }
  auto qualifications = doc.find("qualification");
  if (qualifications != doc.end() && qualifications->is_array()) {
    for (const auto& q : *qualifications) {
      const auto* codings = q.is_object() && q.contains("code") && q["code"].is_object() && q["code"].contains("coding")
                                ? &q["code"]["coding"]
                                : nullptr;
      if (!codings || !codings->is_array()) continue;
      for (const auto& c : *codings) {
        if (c.is_object() && c.contains("code") && c["code"].is_string()) return c["code"].get<std::string>();
      }
    }
  }
  return Status::forbidden("the directory gives no profession for this professional");
}

Result<std::string> ReferenceData::profession(store::Transaction& tx, const std::string& idnatps, int64_t version) const {
  {
    std::lock_guard lock(mu_);
    auto it = professions_.find(idnatps);
    if (it != professions_.end() && it->second.second == version) return it->second.first;
  }
  auto p = load_profession(tx, idnatps);
  if (!p.is_ok()) return p.status();
  std::lock_guard lock(mu_);
  if (professions_.size() > 100'000) professions_.clear();
  professions_[idnatps] = {*p, version};
  return p;
}

Result<std::shared_ptr<const Matrix>> ReferenceData::matrix(store::Transaction& tx, int64_t version) const {
  {
    std::lock_guard lock(mu_);
    if (matrix_ && matrix_version_ == version) return matrix_;
  }
  auto m = read_matrix(tx);
  if (!m.is_ok()) return m.status();
  auto fresh = std::make_shared<const Matrix>(std::move(*m));
  std::lock_guard lock(mu_);
  matrix_ = fresh;
  matrix_version_ = version;
  return fresh;
}

}  // namespace carnet::access
