#include "pg/copy_framing.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace dbb::pg {
namespace {

constexpr unsigned char kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};

int32_t Int32At(const unsigned char* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(p[0]) << 24 |
                              static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 |
                              static_cast<uint32_t>(p[3]));
}

int16_t Int16At(const unsigned char* p) {
  return static_cast<int16_t>(static_cast<uint16_t>(p[0] << 8 | p[1]));
}

}  // namespace

Status CopyFraming::Feed(std::span<const std::byte> bytes) {
  if (!error_.ok()) return error_;
  return format_ == CopyFormat::kText ? FeedText(bytes) : FeedBinary(bytes);
}

Status CopyFraming::Fail(const std::string& what) {
  const bool in_rows = state_ == State::kFieldCount || state_ == State::kFieldLength ||
                       state_ == State::kFieldData || format_ == CopyFormat::kText;
  error_ = Status(StatusCode::kCorrupt,
                  "COPY stream byte " + std::to_string(item_offset_) +
                      (in_rows ? " (row " + std::to_string(rows_ + 1) + ")" : "") + ": " + what);
  return error_;
}

Status CopyFraming::FeedText(std::span<const std::byte> bytes) {
  const auto* p = reinterpret_cast<const char*>(bytes.data());
  const char* end = p + bytes.size();
  while (p < end) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* stop = nl ? nl : end;
    if (!line_open_) item_offset_ = offset_;
    tabs_ += static_cast<size_t>(std::count(p, stop, '\t'));
    line_open_ = line_open_ || stop > p;
    offset_ += static_cast<uint64_t>(stop - p);
    p = stop;
    if (!nl) break;
    // One field per tab plus one; a table without columns writes empty lines.
    const size_t fields = line_open_ ? tabs_ + 1 : (columns_ == 0 ? 0 : 1);
    if (fields != columns_) {
      return Fail("a line of " + std::to_string(fields) + " fields, the table has " +
                  std::to_string(columns_) + " columns");
    }
    ++rows_;
    ++offset_;
    ++p;
    tabs_ = 0;
    line_open_ = false;
  }
  return Status::Ok();
}

void CopyFraming::Expect(State state, size_t bytes) {
  state_ = state;
  item_want_ = bytes;
  item_bytes_ = 0;
  item_offset_ = offset_;
}

void CopyFraming::NextField() {
  if (--fields_left_ > 0) return Expect(State::kFieldLength, 4);
  ++rows_;
  Expect(State::kFieldCount, 2);
}

Status CopyFraming::FeedBinary(std::span<const std::byte> bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t left = bytes.size();
  while (left > 0) {
    if (state_ == State::kDone) {
      item_offset_ = offset_;
      return Fail("data after the end-of-data trailer");
    }
    if (state_ == State::kExtension || state_ == State::kFieldData) {
      // Values and the header extension are skipped, never held.
      const size_t take = static_cast<size_t>(std::min<uint64_t>(skip_, left));
      p += take;
      left -= take;
      offset_ += take;
      skip_ -= take;
      if (skip_ > 0) continue;
      if (state_ == State::kExtension) {
        Expect(State::kFieldCount, 2);
      } else {
        NextField();
      }
      continue;
    }
    const size_t take = std::min(item_want_ - item_bytes_, left);
    std::memcpy(item_ + item_bytes_, p, take);
    item_bytes_ += take;
    p += take;
    left -= take;
    offset_ += take;
    if (item_bytes_ == item_want_) DBB_RETURN_IF_ERROR(TakeItem());
  }
  return Status::Ok();
}

Status CopyFraming::TakeItem() {
  switch (state_) {
    case State::kSignature:
      if (std::memcmp(item_, kSignature, sizeof kSignature) != 0) {
        return Fail("not a binary COPY stream (no PGCOPY signature)");
      }
      Expect(State::kFlags, 4);
      return Status::Ok();
    case State::kFlags: {
      const auto flags = static_cast<uint32_t>(Int32At(item_));
      if ((flags & 0xffff0000u) != 0) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "%08x", flags);
        return Fail(std::string("header flags 0x") + hex +
                    ": bits 16-31 must be 0 (OIDs, or a format this version does not know)");
      }
      Expect(State::kExtensionLength, 4);
      return Status::Ok();
    }
    case State::kExtensionLength: {
      const int32_t length = Int32At(item_);
      if (length < 0) return Fail("header extension length " + std::to_string(length));
      Expect(State::kFieldCount, 2);
      if (length > 0) {
        state_ = State::kExtension;
        skip_ = static_cast<uint64_t>(length);
      }
      return Status::Ok();
    }
    case State::kFieldCount: {
      const int16_t count = Int16At(item_);
      if (count == -1) {
        state_ = State::kDone;
        return Status::Ok();
      }
      if (count < 0 || static_cast<size_t>(count) != columns_) {
        return Fail(std::to_string(count) + " fields, the table has " + std::to_string(columns_) +
                    " columns");
      }
      fields_left_ = static_cast<size_t>(count);
      if (count == 0) {
        ++rows_;
        Expect(State::kFieldCount, 2);
      } else {
        Expect(State::kFieldLength, 4);
      }
      return Status::Ok();
    }
    case State::kFieldLength: {
      const int32_t length = Int32At(item_);
      if (length == -1 || length == 0) {  // NULL, or an empty value
        NextField();
      } else if (length < 0) {
        return Fail("field length " + std::to_string(length));
      } else {
        state_ = State::kFieldData;
        skip_ = static_cast<uint64_t>(length);
      }
      return Status::Ok();
    }
    case State::kExtension:
    case State::kFieldData:
    case State::kDone:
      break;
  }
  DBB_CHECK_MSG(false, "CopyFraming: no item in this state");
  return Status::Ok();
}

Status CopyFraming::Finish() {
  if (!error_.ok()) return error_;
  if (format_ == CopyFormat::kText) {
    if (!line_open_) return Status::Ok();
    return Fail("truncated: the last line has no newline");
  }
  if (state_ == State::kDone) return Status::Ok();
  item_offset_ = offset_;
  if (offset_ == 0) return Fail("empty: no PGCOPY signature");
  const bool between_rows = state_ == State::kFieldCount && item_bytes_ == 0;
  return Fail(between_rows ? "truncated: no end-of-data trailer"
              : state_ == State::kSignature || state_ == State::kFlags ||
                      state_ == State::kExtensionLength || state_ == State::kExtension
                  ? "truncated: the stream ends in its header"
                  : "truncated: the stream ends inside a row");
}

}  // namespace dbb::pg
