// libcsv adapter.
#include "core/csv.h"

#include <csv.h>

#include <algorithm>

namespace carnet {

struct CsvReader::Impl {
  csv_parser parser{};
  RecordFn on_record;
  std::vector<std::string> fields;
  size_t record = 0;
  Status stopped;

  static void on_field(void* data, size_t len, void* self) {
    auto* impl = static_cast<Impl*>(self);
    impl->fields.emplace_back(static_cast<const char*>(data), data ? len : 0);
  }
  static void on_row(int /*terminator*/, void* self) {
    auto* impl = static_cast<Impl*>(self);
    ++impl->record;
    // A blank line arrives as a row without fields: skip it.
    if (impl->stopped.is_ok() && !impl->fields.empty()) impl->stopped = impl->on_record(impl->record, impl->fields);
    impl->fields.clear();
  }
};

CsvReader::CsvReader(char delimiter, RecordFn on_record, bool quoting) : impl_(std::make_unique<Impl>()) {
  csv_init(&impl_->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
  csv_set_delim(&impl_->parser, static_cast<unsigned char>(delimiter));
  if (!quoting) csv_set_quote(&impl_->parser, 0);
  impl_->on_record = std::move(on_record);
}

CsvReader::~CsvReader() { csv_free(&impl_->parser); }

Status CsvReader::feed(std::string_view bytes) {
  if (!impl_->stopped.is_ok()) return impl_->stopped;
  size_t n = csv_parse(&impl_->parser, bytes.data(), bytes.size(), Impl::on_field, Impl::on_row, impl_.get());
  if (!impl_->stopped.is_ok()) return impl_->stopped;
  if (n != bytes.size()) {
    return Status::invalid("CSV syntax error after record " + std::to_string(impl_->record) + ": " +
                           csv_strerror(csv_error(&impl_->parser)));
  }
  return Status::ok();
}

Status CsvReader::finish() {
  if (!impl_->stopped.is_ok()) return impl_->stopped;
  if (csv_fini(&impl_->parser, Impl::on_field, Impl::on_row, impl_.get()) != 0) {
    return Status::invalid("CSV syntax error at the end of the file (unclosed quote?)");
  }
  return impl_->stopped;
}

std::function<Result<size_t>(char*, size_t)> read_from(std::string_view text) {
  auto pos = std::make_shared<size_t>(0);
  return [text, pos](char* buf, size_t cap) -> Result<size_t> {
    size_t n = std::min(cap, text.size() - *pos);
    std::copy_n(text.data() + *pos, n, buf);
    *pos += n;
    return n;
  };
}

}  // namespace carnet
