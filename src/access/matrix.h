// The profession × document-category matrix ("matrice d'habilitations"): which professions
// may see which categories of a person's record. Data, not code: the national default ships
// in data/access-matrix.csv and the operator may replace it (carnet access matrix import).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace carnet::access {

// The record's categories (keys of the matrix).
inline constexpr std::string_view kCategories[] = {
    "reports",        "summaries",   "imaging",      "prescriptions",     "dispensations", "care-plans",
    "administered-treatments", "certificates", "reimbursement", "patient-documents", "administrative"};
bool is_category(std::string_view key);
// The category of the resources of a FHIR type; "" when the type is outside the matrix, or
// for documents (DocumentReference, Binary), whose category is their own (resource_access).
std::string_view type_category(std::string_view fhir_type);

// The category of a document from its class codes (DocumentReference.category, TRE_A03) or
// type codes (DocumentReference.type, LOINC / TRE_A05, via the ANS correspondence table);
// data/document-classes.csv. Empty when no code is known.
std::string document_category(const std::vector<std::string>& class_codes, const std::vector<std::string>& type_codes);

class Matrix {
 public:
  // CSV with a header profession_code,profession_label,category,allowed (allowed: 1/0).
  static Result<Matrix> parse_csv(std::string_view csv);
  // One cell, checked (RPPS profession code, known category); kInvalid otherwise. For
  // matrices read from elsewhere (the operator's import kept in the database).
  Status add(const std::string& profession, const std::string& label, const std::string& category, bool allowed);
  // The national default compiled into the binary.
  static const Matrix& national_default();

  bool allows(std::string_view profession, std::string_view category) const;
  bool knows(std::string_view profession) const { return labels_.count(std::string(profession)) > 0; }
  const std::map<std::string, std::string>& professions() const { return labels_; }
  std::string to_csv() const;

 private:
  std::map<std::string, std::string> labels_;  // profession code → label
  // profession → the categories it may see (looked up by string_view: no copy per decision)
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> allowed_;
};

}  // namespace carnet::access
