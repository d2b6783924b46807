// Streaming RFC 4180 reader (quoted fields, embedded separators and newlines), on libcsv.
// Feed it bytes in any slicing; it calls back once per record with its fields. Constant
// memory apart from the current record.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace carnet {

class CsvReader {
 public:
  // `on_record(record_number, fields)`: records are numbered from 1 (the header, if any, is
  // record 1). Returning a non-OK status stops the reader with that status.
  using RecordFn = std::function<Status(size_t, std::vector<std::string>&)>;

  // `quoting`: RFC 4180 double quotes; off for formats that never quote (the RPPS extract,
  // whose fields may hold a stray '"').
  CsvReader(char delimiter, RecordFn on_record, bool quoting = true);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  Status feed(std::string_view bytes);
  // End of input: delivers a last record without a final newline. kInvalid on an unclosed
  // quote.
  Status finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A byte source over text in memory, in the shape the streaming readers take
// (fill `buf`, return the count, 0 at the end). REQUIRES: `text` outlives the source.
std::function<Result<size_t>(char* buf, size_t cap)> read_from(std::string_view text);

}  // namespace carnet
