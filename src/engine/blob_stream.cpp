#include "engine/blob_stream.h"

#include <algorithm>
#include <cstring>

namespace dbb::engine {
namespace {

constexpr size_t kMagicBytes = sizeof(kBlobStreamMagic) - 1;
constexpr uint8_t kHasAcl = 1;
constexpr uint8_t kHasComment = 2;
constexpr uint8_t kExternal = 4;
constexpr uint8_t kSelect = 1;
constexpr uint8_t kUpdate = 2;

template <typename T>
void Put(std::string& out, T value) {
  for (size_t i = sizeof(T); i-- > 0;) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

void PutString(std::string& out, const std::string& s) {
  Put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// Reads a head's fields in order; any read past its end marks it bad.
class HeadReader {
 public:
  explicit HeadReader(std::string_view in) : in_(in) {}
  template <typename T>
  T Get() {
    if (in_.size() < sizeof(T)) return Bad<T>();
    T value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      value = static_cast<T>((value << 8) | static_cast<unsigned char>(in_[i]));
    }
    in_.remove_prefix(sizeof(T));
    return value;
  }
  std::string GetString() {
    const uint32_t n = Get<uint32_t>();
    if (in_.size() < n) return Bad<std::string>();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }

 private:
  template <typename T>
  T Bad() {
    ok_ = false;
    in_ = {};
    return T{};
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string BlobContentPath(const std::string& hex, const char* suffix) {
  return std::string(kBlobContentDirName) + "/" + hex.substr(0, 2) + "/" + hex + suffix;
}

std::string BlobStreamStart() { return std::string(kBlobStreamMagic, kMagicBytes); }

std::string EncodeBlobHead(const BlobRecord& r) {
  const pg::LargeObject& o = r.object;
  std::string head;
  Put<uint32_t>(head, o.oid);
  Put<uint64_t>(head, o.size);
  Put<uint8_t>(head, static_cast<uint8_t>((o.acl ? kHasAcl : 0) | (o.comment ? kHasComment : 0) |
                                          (r.sha256 ? kExternal : 0)));
  PutString(head, o.owner);
  if (o.acl) {
    Put<uint32_t>(head, static_cast<uint32_t>(o.acl->size()));
    for (const pg::Grant& g : *o.acl) {
      PutString(head, g.grantee);
      PutString(head, g.grantor);
      Put<uint8_t>(head, g.privilege == "SELECT" ? kSelect : kUpdate);
      Put<uint8_t>(head, g.grantable ? 1 : 0);
    }
  }
  if (o.comment) PutString(head, *o.comment);
  if (r.sha256) head.append(reinterpret_cast<const char*>(r.sha256->data()), r.sha256->size());
  std::string out;
  Put<uint32_t>(out, static_cast<uint32_t>(head.size()));
  return out + head;
}

std::string BlobStreamEnd() {
  std::string out;
  Put<uint32_t>(out, 0);
  return out;
}

Status BlobStreamParser::Feed(std::span<const std::byte> bytes) {
  const char* p = reinterpret_cast<const char*>(bytes.data());
  size_t n = bytes.size();
  while (n > 0) {
    if (state_ == State::kDone) {
      return Status(StatusCode::kCorrupt, "large-object stream: bytes after its end marker");
    }
    if (state_ == State::kContent) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n));
      DBB_RETURN_IF_ERROR(handler_->Content(std::as_bytes(std::span<const char>(p, take))));
      p += take;
      n -= take;
      remaining_ -= take;
      if (remaining_ == 0) {
        DBB_RETURN_IF_ERROR(handler_->End());
        state_ = State::kHeadLength;
        want_ = 4;
      }
      continue;
    }
    const size_t take = std::min(n, want_ - buffer_.size());
    buffer_.append(p, take);
    p += take;
    n -= take;
    if (buffer_.size() < want_) break;
    if (state_ == State::kMagic) {
      if (buffer_ != BlobStreamStart()) {
        return Status(StatusCode::kCorrupt, "not a large-object stream (no DBBLOBS1 header)");
      }
      state_ = State::kHeadLength;
      want_ = 4;
    } else if (state_ == State::kHeadLength) {
      const uint32_t length = HeadReader(buffer_).Get<uint32_t>();
      if (length == 0) {
        state_ = State::kDone;
      } else if (length > kMaxBlobHeadBytes) {
        return Status(StatusCode::kCorrupt, "large-object stream: a head of " +
                                                std::to_string(length) + " bytes after object " +
                                                std::to_string(objects_));
      } else {
        state_ = State::kHead;
        want_ = length;
      }
    } else {
      DBB_RETURN_IF_ERROR(ParseHead());
    }
    buffer_.clear();
  }
  return Status::Ok();
}

Status BlobStreamParser::ParseHead() {
  HeadReader in(buffer_);
  BlobRecord r;
  pg::LargeObject& o = r.object;
  o.oid = in.Get<uint32_t>();
  o.size = in.Get<uint64_t>();
  const uint8_t flags = in.Get<uint8_t>();
  bool bad_privilege = false;
  o.owner = in.GetString();
  if (flags & kHasAcl) {
    const uint32_t count = in.Get<uint32_t>();
    o.acl.emplace();
    for (uint32_t i = 0; i < count && in.ok(); ++i) {
      pg::Grant g{.grantee = in.GetString(), .grantor = in.GetString()};
      const uint8_t privilege = in.Get<uint8_t>();
      g.privilege = privilege == kSelect ? "SELECT" : "UPDATE";
      g.grantable = in.Get<uint8_t>() != 0;
      bad_privilege |= privilege != kSelect && privilege != kUpdate;
      o.acl->push_back(std::move(g));
    }
  }
  if (flags & kHasComment) o.comment = in.GetString();
  if (flags & kExternal) {
    compress::Sha256Digest digest{};
    for (uint8_t& b : digest) b = in.Get<uint8_t>();
    r.sha256 = digest;
  }
  if (!in.ok() || !in.at_end() || bad_privilege || o.oid == 0 ||
      (flags & ~(kHasAcl | kHasComment | kExternal))) {
    return Status(StatusCode::kCorrupt, "large-object stream: a malformed head after " +
                                            std::to_string(objects_) + " objects");
  }
  ++objects_;
  DBB_RETURN_IF_ERROR(handler_->Begin(r));
  if (r.sha256 || o.size == 0) {
    DBB_RETURN_IF_ERROR(handler_->End());
    state_ = State::kHeadLength;
    want_ = 4;
  } else {
    state_ = State::kContent;
    remaining_ = o.size;
  }
  return Status::Ok();
}

Status BlobStreamParser::Finish() {
  if (state_ == State::kDone) return Status::Ok();
  return Status(StatusCode::kCorrupt, "large-object stream ends early, after " +
                                          std::to_string(objects_) + " objects (truncated)");
}

}  // namespace dbb::engine
