#include "documents/json_spool.h"

#include "crypto/random.h"

namespace carnet::documents {

JsonSpool::JsonSpool(store::BlobStore& blobs, JsonSpoolLimits limits)
    : store_(blobs), limits_(limits) {}

JsonSpool::~JsonSpool() {
  spool_.reset();
  for (const auto& [marker, blob] : blobs_) (void)store_.remove(blob.blob_id);
}

std::optional<SpooledBlob> JsonSpool::take(std::string_view value) {
  auto it = blobs_.find(std::string(value));
  if (it == blobs_.end()) return std::nullopt;
  SpooledBlob b = std::move(it->second);
  blobs_.erase(it);
  return b;
}

Status JsonSpool::begin_spooling() {
  if (spooled_count_ >= limits_.max_documents) {
    return Status::too_large("at most " + std::to_string(limits_.max_documents) + " documents in one request");
  }
  auto s = BlobSpool::open(store_, limits_.max_document_bytes);
  if (!s.is_ok()) return s.status();
  spool_ = std::move(*s);
  if (nonce_.empty()) nonce_ = hex_encode(crypto::random_bytes(12));  // only bodies that carry documents pay for it
  // What was kept of this string so far moves to the spool.
  std::string_view kept = std::string_view(text_).substr(string_start_ + 1);
  for (char c : kept) {
    if (c == '\\') return Status::invalid("\"data\" must be base64 (an escape sequence was found)");
  }
  decoded_.clear();
  if (!decoder_.feed(kept, decoded_)) return Status::invalid("\"data\" is not valid base64");
  text_.resize(string_start_ + 1);
  return Status::ok();
}

Status JsonSpool::end_string() {
  in_string_ = false;
  if (spool_) {
    if (!decoder_.finish()) return Status::invalid("\"data\" is not valid base64 (it ends in the middle of a byte)");
    if (!decoded_.empty()) CARNET_RETURN_IF_ERROR(spool_->write(decoded_));
    decoded_.clear();
    auto blob = spool_->finish();
    spool_.reset();
    if (!blob.is_ok()) return blob.status();
    std::string marker = "carnet-spool:" + nonce_ + ":" + std::to_string(spooled_count_++);
    text_ += marker;
    blobs_.emplace(marker, std::move(*blob));
    decoder_ = Base64Decoder();
  } else if (last_significant_ == 'k') {
    // Not a member's value, so possibly a key: remember it (only short ones matter).
    size_t len = text_.size() - string_start_ - 1;
    last_key_ = len <= 16 ? text_.substr(string_start_ + 1) : std::string();
  }
  text_ += '"';
  return Status::ok();
}

Status JsonSpool::on_string_char(char c) {
  if (spool_) {
    if (escape_) {
      escape_ = false;
      if (c != '/') return Status::invalid("\"data\" must be base64 (an escape sequence was found)");
    } else if (c == '\\') {
      escape_ = true;
      return Status::ok();
    }
    if (!decoder_.feed(std::string_view(&c, 1), decoded_)) return Status::invalid("\"data\" is not valid base64");
    if (decoded_.size() >= 48 * 1024) {
      CARNET_RETURN_IF_ERROR(spool_->write(decoded_));
      decoded_.clear();
    }
    return Status::ok();
  }
  text_ += c;
  if (escape_) {
    escape_ = false;
    return Status::ok();
  }
  if (c == '\\') escape_ = true;
  if (data_value_ && text_.size() - string_start_ - 1 > limits_.inline_threshold) return begin_spooling();
  return Status::ok();
}

Status JsonSpool::write(std::string_view bytes) {
  received_ += bytes.size();
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (in_string_) {
      if (c == '"' && !escape_) {
        CARNET_RETURN_IF_ERROR(end_string());
        continue;
      }
      if (spool_ && !escape_ && c != '\\') {
        // Fast path: a run of base64 characters up to the next quote or backslash.
        size_t end = i;
        while (end < bytes.size() && bytes[end] != '"' && bytes[end] != '\\') ++end;
        std::string_view run = bytes.substr(i, end - i);
        if (!decoder_.feed(run, decoded_)) return Status::invalid("\"data\" is not valid base64");
        if (decoded_.size() >= 48 * 1024) {
          CARNET_RETURN_IF_ERROR(spool_->write(decoded_));
          decoded_.clear();
        }
        i = end - 1;
        continue;
      }
      CARNET_RETURN_IF_ERROR(on_string_char(c));
    } else {
      if (c == '"') {
        in_string_ = true;
        escape_ = false;
        string_start_ = text_.size();
        data_value_ = last_significant_ == ':' && last_key_ == "data";
      }
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        if (c != '"') last_significant_ = c;
        if (c == '"') last_significant_ = last_significant_ == ':' ? 'v' : 'k';
      }
      text_ += c;
    }
    if (text_.size() > limits_.max_json_bytes) {
      return Status::too_large("the JSON text (documents aside) exceeds " + std::to_string(limits_.max_json_bytes) + " bytes");
    }
  }
  return Status::ok();
}

Status JsonSpool::finish() {
  if (in_string_) return Status::invalid("body is not valid JSON (it ends inside a string)");
  return Status::ok();
}

}  // namespace carnet::documents
