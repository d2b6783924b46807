// The document classes and types of the French shared record that Carnet knows, with their
// French labels (data/document-types.csv; ANS value sets JDV_J06 and JDV_J07, types mapped to
// classes as in ASS_X04). The portal offers them when a holder adds a document; the access
// matrix files documents by them (access/data/document-classes.csv).
#pragma once

#include <string>
#include <vector>

namespace carnet::documents {

struct DocumentCode {
  std::string kind;    // "class" (DocumentReference.category) or "type" (DocumentReference.type)
  std::string system;  // code system URI
  std::string code;
  std::string label;       // French
  std::string class_code;  // types: the class they belong to
};

const std::vector<DocumentCode>& document_codes();

}  // namespace carnet::documents
