// A file compiled into the binary (SQL migrations, default data). See cmake/embed.cmake.
#pragma once

#include <string>

namespace carnet {

struct EmbeddedFile {
  std::string name;      // base name, e.g. "0001_key_ring.sql"
  std::string contents;  // bytes, unmodified
};

}  // namespace carnet
