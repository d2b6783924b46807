// A document's bytes as the caller may read them (ITI-68): the Binary's version, decided by the
// repository, with its content in the vault and the file name its DocumentReference gives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "access/repository.h"
#include "documents/vault.h"

namespace carnet::documents {

struct BinaryDocument {
  fhir::ResourceVersion version;
  BinaryContent content;
  std::string title;  // the attachment's title, or empty
};

// The current version, or `version`; kGone for a deletion version.
Result<BinaryDocument> read_binary(access::Repository& repo, const Vault& vault, std::string_view id,
                                   std::optional<int64_t> version);

}  // namespace carnet::documents
