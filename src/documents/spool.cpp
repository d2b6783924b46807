#include "documents/spool.h"

#include <cstring>

#include "core/encoding.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "crypto/stream.h"

namespace carnet::documents {
namespace {

constexpr size_t kChunk = 64 * 1024;

std::string stream_ad(std::string_view blob_id) { return "carnet/document-blob/v1/" + std::string(blob_id); }

}  // namespace

struct BlobSpool::State {
  std::string blob_id;
  crypto::SecretKey key;
  std::unique_ptr<store::BlobWriter> writer;
  std::unique_ptr<crypto::StreamEncryptor> enc;
  crypto::Digest sha1{crypto::Digest::Algorithm::kSha1};
  TextCheck text;
  std::string head;
  std::string pending;  // plain bytes waiting for a full chunk
};

BlobSpool::~BlobSpool() = default;

Result<std::unique_ptr<BlobSpool>> BlobSpool::open(store::BlobStore& blobs, uint64_t max_bytes) {
  std::unique_ptr<BlobSpool> s(new BlobSpool());
  s->state_ = std::make_unique<State>();
  s->max_ = max_bytes;
  State& st = *s->state_;
  st.blob_id = hex_encode(crypto::random_bytes(16));
  st.key = crypto::random_key();
  auto w = blobs.create(st.blob_id);
  if (!w.is_ok()) return w.status();
  st.writer = std::move(*w);
  st.enc = std::make_unique<crypto::StreamEncryptor>(st.key, stream_ad(st.blob_id));
  CARNET_RETURN_IF_ERROR(st.writer->append(st.enc->header()));
  st.pending.reserve(kChunk);
  return s;
}

Status BlobSpool::flush_chunk(bool last) {
  State& st = *state_;
  auto framed = st.enc->push(st.pending, last);
  st.pending.clear();
  if (!framed.is_ok()) return framed.status();
  return st.writer->append(*framed);
}

Status BlobSpool::write(std::string_view plain) {
  if (!state_) return Status::internal("document spool already finished");
  State& st = *state_;
  if (size_ + plain.size() > max_) {
    return Status::too_large("le document dépasse la taille maximale de " + std::to_string(max_ / (1024 * 1024)) + " Mo");
  }
  size_ += plain.size();
  st.sha1.update(plain);
  st.text.feed(plain);
  if (st.head.size() < kSniffBytes) st.head.append(plain.substr(0, kSniffBytes - st.head.size()));
  while (!plain.empty()) {
    size_t take = std::min(plain.size(), kChunk - st.pending.size());
    st.pending.append(plain.substr(0, take));
    plain.remove_prefix(take);
    if (st.pending.size() == kChunk) CARNET_RETURN_IF_ERROR(flush_chunk(false));
  }
  return Status::ok();
}

Result<SpooledBlob> BlobSpool::finish() {
  if (!state_) return Status::internal("document spool already finished");
  CARNET_RETURN_IF_ERROR(flush_chunk(true));
  State& st = *state_;
  auto sha1 = st.sha1.finish();
  if (!sha1.is_ok()) return sha1.status();
  CARNET_RETURN_IF_ERROR(st.writer->commit());
  SpooledBlob out;
  out.blob_id = st.blob_id;
  out.key = st.key;
  out.size = size_;
  out.sha1 = std::move(*sha1);
  out.head = std::move(st.head);
  out.text = st.text.is_text();
  state_.reset();
  return out;
}

Result<SpooledBlob> spool_bytes(store::BlobStore& blobs, std::string_view plain, uint64_t max_bytes) {
  auto s = BlobSpool::open(blobs, max_bytes);
  if (!s.is_ok()) return s.status();
  CARNET_RETURN_IF_ERROR((*s)->write(plain));
  return (*s)->finish();
}

struct BlobPlainReader::State {
  std::unique_ptr<store::BlobReader> file;
  std::unique_ptr<crypto::StreamDecryptor> dec;
  std::string plain;  // decrypted, not yet returned
  size_t offset = 0;
  uint64_t produced = 0;
  bool eof = false;
  std::string cipher;
};

BlobPlainReader::~BlobPlainReader() = default;

Result<std::unique_ptr<BlobPlainReader>> BlobPlainReader::open(const store::BlobStore& blobs, std::string_view blob_id,
                                                               const crypto::SecretKey& key, uint64_t size) {
  auto f = blobs.open(blob_id);
  if (!f.is_ok()) return f.status();
  std::unique_ptr<BlobPlainReader> r(new BlobPlainReader());
  r->state_ = std::make_unique<State>();
  r->state_->file = std::move(*f);
  r->state_->dec = std::make_unique<crypto::StreamDecryptor>(key, stream_ad(blob_id));
  r->state_->cipher.resize(kChunk + crypto::kStreamChunkOverhead);
  r->size_ = size;
  return r;
}

Result<size_t> BlobPlainReader::read(char* buf, size_t cap) {
  State& st = *state_;
  while (st.offset == st.plain.size()) {
    if (st.eof) return size_t(0);
    st.plain.clear();
    st.offset = 0;
    auto n = st.file->read(st.cipher.data(), st.cipher.size());
    if (!n.is_ok()) return n.status();
    if (*n == 0) {
      st.eof = true;
      CARNET_RETURN_IF_ERROR(st.dec->finish());
      if (st.produced != size_) return Status::corrupt("document bytes do not match their record (length)");
      continue;
    }
    CARNET_RETURN_IF_ERROR(st.dec->feed(std::string_view(st.cipher.data(), *n), st.plain));
    st.produced += st.plain.size();
    if (st.produced > size_) return Status::corrupt("document bytes do not match their record (length)");
  }
  size_t take = std::min(cap, st.plain.size() - st.offset);
  std::memcpy(buf, st.plain.data() + st.offset, take);
  st.offset += take;
  return take;
}

}  // namespace carnet::documents
