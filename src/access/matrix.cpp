#include "access/matrix.h"

#include <algorithm>

#include "core/csv.h"
#include "core/embedded.h"

namespace carnet::access {

const std::vector<EmbeddedFile>& access_data();  // generated (cmake/embed.cmake)

bool is_category(std::string_view key) {
  return std::find(std::begin(kCategories), std::end(kCategories), key) != std::end(kCategories);
}

std::string_view type_category(std::string_view t) {
  if (t == "DocumentReference" || t == "Binary") return "";  // per document (document_category)
  if (t == "Observation") return "reports";
  if (t == "List") return "reports";  // submission sets of documents (IHE MHD)
  if (t == "AllergyIntolerance" || t == "Condition") return "summaries";
  if (t == "Immunization" || t == "MedicationStatement") return "administered-treatments";
  if (t == "MedicationRequest") return "prescriptions";
  if (t == "MedicationDispense") return "dispensations";
  if (t == "Appointment") return "administrative";
  return "";
}

std::string document_category(const std::vector<std::string>& class_codes, const std::vector<std::string>& type_codes) {
  // kind|code → category, from the embedded table.
  static const std::map<std::string, std::string> table = [] {
    std::map<std::string, std::string> t;
    for (const auto& f : access_data()) {
      if (f.name != "document-classes.csv") continue;
      CsvReader reader(',', [&](size_t line, std::vector<std::string>& fields) -> Status {
        if (line > 1 && fields.size() == 3) t[fields[0] + "|" + fields[1]] = fields[2];
        return Status::ok();
      });
      (void)reader.feed(f.contents);
      (void)reader.finish();
    }
    return t;
  }();
  for (const auto& c : class_codes) {
    if (auto it = table.find("class|" + c); it != table.end()) return it->second;
  }
  for (const auto& c : type_codes) {
    if (auto it = table.find("type|" + c); it != table.end()) return it->second;
  }
  return "";
}

Result<Matrix> Matrix::parse_csv(std::string_view csv) {
  Matrix m;
  CsvReader reader(',', [&](size_t line, std::vector<std::string>& fields) -> Status {
    if (line == 1) {
      if (fields != std::vector<std::string>{"profession_code", "profession_label", "category", "allowed"}) {
        return Status::invalid("the header must be profession_code,profession_label,category,allowed");
      }
      return Status::ok();
    }
    std::string where = "line " + std::to_string(line);
    if (fields.size() != 4) return Status::invalid(where + ": 4 fields expected");
    if (fields[3] != "0" && fields[3] != "1") return Status::invalid(where + ": allowed must be 0 or 1");
    return m.add(fields[0], fields[1], fields[2], fields[3] == "1").with_context(where);
  });
  Status s = reader.feed(csv);
  if (s.is_ok()) s = reader.finish();
  if (!s.is_ok()) return s;
  if (m.labels_.empty()) return Status::invalid("the matrix names no profession");
  return m;
}

const Matrix& Matrix::national_default() {
  static const Matrix m = [] {
    for (const auto& f : access_data()) {
      if (f.name == "access-matrix.csv") {
        auto parsed = parse_csv(f.contents);
        if (parsed.is_ok()) return std::move(*parsed);
      }
    }
    std::abort();  // the build embeds a valid file; the unit tests parse it
  }();
  return m;
}

Status Matrix::add(const std::string& code, const std::string& label, const std::string& category, bool allowed) {
  if (code.empty() || code.size() > 10 || code.find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid("profession_code must be an RPPS profession code (digits)");
  }
  if (!is_category(category)) return Status::invalid("unknown category '" + category.substr(0, 40) + "'");
  labels_[code] = label;
  if (allowed) allowed_[code].insert(category);
  return Status::ok();
}

bool Matrix::allows(std::string_view profession, std::string_view category) const {
  auto it = allowed_.find(profession);
  return it != allowed_.end() && it->second.count(category) > 0;
}

std::string Matrix::to_csv() const {
  std::string out = "profession_code,profession_label,category,allowed\n";
  for (const auto& [code, label] : labels_) {
    for (std::string_view c : kCategories) {
      std::string l = label;
      bool quote = l.find_first_of(",\"\n") != std::string::npos;
      if (quote) {
        std::string q = "\"";
        for (char ch : l) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        l = q + "\"";
      }
      out += code + "," + l + "," + std::string(c) + "," + (allows(code, c) ? "1" : "0") + "\n";
    }
  }
  return out;
}

}  // namespace carnet::access
