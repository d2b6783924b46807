// A JSON request body (a resource or a Bundle) received piece by piece, kept in memory
// except for the long base64 strings of "data" members (Binary.data, Attachment.data: the
// documents themselves), which are decoded and sent to blob spools as they arrive, and
// replaced in the kept text by a marker that names the spooled blob. The marker carries a
// random nonce of this body, so a client cannot forge one.
//
// This scans the JSON lexically (strings, keys, escapes) and leaves parsing and validation
// to the handler; a body it cannot scan is refused early.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "documents/spool.h"
#include "store/blobs.h"

namespace carnet::documents {

struct JsonSpoolLimits {
  uint64_t max_json_bytes = 8ull << 20;  // the text kept, markers included
  uint64_t max_document_bytes = 20ull << 20;
  size_t max_documents = 100;
  size_t inline_threshold = 64 * 1024;  // "data" strings up to this length stay in the text
};

class JsonSpool {
 public:
  JsonSpool(store::BlobStore& blobs, JsonSpoolLimits limits);
  ~JsonSpool();  // blobs never taken are removed

  Status write(std::string_view bytes);
  Status finish();
  // Whether writing `bytes` more may send a document to a blob spool (disk, encryption): not
  // while the body so far is shorter than a "data" string that would be spooled.
  bool may_spool(size_t bytes) const { return spool_ || received_ + bytes > limits_.inline_threshold; }

  const std::string& text() const { return text_; }
  // The blob a "data" value stands for, handed over once; nullopt when `value` is no marker.
  std::optional<SpooledBlob> take(std::string_view value);
  size_t untaken() const { return blobs_.size(); }

 private:
  Status on_string_char(char c);
  Status begin_spooling();
  Status end_string();

  store::BlobStore& store_;
  JsonSpoolLimits limits_;
  std::string nonce_;  // random, drawn when the first document is spooled
  std::string text_;
  uint64_t received_ = 0;  // bytes written so far
  std::map<std::string, SpooledBlob> blobs_;  // by marker
  size_t spooled_count_ = 0;

  // Lexer state.
  bool in_string_ = false;
  bool escape_ = false;
  char last_significant_ = 0;  // last non-space character outside strings
  size_t string_start_ = 0;    // offset in text_ of the current string's opening quote
  std::string last_key_;       // the last object key seen (short keys only)
  bool data_value_ = false;    // the current string is the value of a "data" member
  // Spooling the current string:
  std::unique_ptr<BlobSpool> spool_;
  Base64Decoder decoder_;
  std::string decoded_;
};

}  // namespace carnet::documents
