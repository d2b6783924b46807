#include "documents/document_types.h"

#include "core/csv.h"
#include "core/embedded.h"

namespace carnet::documents {

const std::vector<EmbeddedFile>& documents_data();  // generated (cmake/embed.cmake)

const std::vector<DocumentCode>& document_codes() {
  static const std::vector<DocumentCode> codes = [] {
    std::vector<DocumentCode> out;
    for (const auto& f : documents_data()) {
      if (f.name != "document-types.csv") continue;
      CsvReader reader(',', [&](size_t line, std::vector<std::string>& fields) -> Status {
        if (line > 1 && fields.size() == 5) out.push_back({fields[0], fields[1], fields[2], fields[3], fields[4]});
        return Status::ok();
      });
      (void)reader.feed(f.contents);
      (void)reader.finish();
    }
    return out;
  }();
  return codes;
}

}  // namespace carnet::documents
