// Checks the framing of a COPY ... TO STDOUT stream without a server (dbbackup verify), reading
// it in pieces of any size as they are inflated, and counts its rows.
//
// Binary format (PostgreSQL's "Binary Format" of COPY; integers big-endian):
//   "PGCOPY\n\377\r\n\0"          11-byte signature
//   int32 flags                    bits 16-31 must be 0 (bit 16: OIDs, which backups never hold)
//   int32 extension length, then that many bytes (skipped)
//   per row: int16 field count (the table's column count), then per field int32 length (-1:
//            NULL) and that many bytes
//   int16 -1                       the trailer, and nothing after it
//
// Text format: one row per line, every line ends in "\n"; values never hold a raw newline or
// tab (COPY writes them as \n and \t), so a line has exactly columns - 1 tabs (an empty line for
// a table without columns).
//
// Errors are kCorrupt and say where, as an offset into the COPY stream and a row number:
//   "COPY stream byte 1234 (row 17): 3 fields, the table has 4 columns"
// The first error is returned again by every later Feed and Finish. Memory: a few bytes; field
// values are skipped, never held. Not thread-safe: one per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"

namespace dbb::pg {

enum class CopyFormat { kBinary, kText };

class CopyFraming {
 public:
  CopyFraming(CopyFormat format, size_t columns) : format_(format), columns_(columns) {}

  [[nodiscard]] Status Feed(std::span<const std::byte> bytes);
  // End of the stream: kCorrupt unless it ended exactly after the trailer (binary) or a
  // newline (text; an empty text stream is zero rows).
  [[nodiscard]] Status Finish();

  uint64_t rows() const { return rows_; }  // complete rows so far

 private:
  enum class State {
    kSignature,
    kFlags,
    kExtensionLength,
    kExtension,
    kFieldCount,
    kFieldLength,
    kFieldData,
    kDone
  };

  Status FeedText(std::span<const std::byte> bytes);
  Status FeedBinary(std::span<const std::byte> bytes);
  // Acts on a complete fixed-size item in `item_` (signature, flags, a length or a count).
  Status TakeItem();
  void Expect(State state, size_t bytes);
  void NextField();
  Status Fail(const std::string& what);

  CopyFormat format_;
  size_t columns_;
  State state_ = State::kSignature;
  unsigned char item_[11] = {};  // the fixed-size item being collected (the signature at most)
  size_t item_bytes_ = 0;        // collected so far
  size_t item_want_ = 11;        // its size
  uint64_t skip_ = 0;            // bytes of a field value or the header extension still to skip
  size_t fields_left_ = 0;       // fields of the current row still to come
  uint64_t offset_ = 0;          // stream bytes consumed
  uint64_t item_offset_ = 0;     // where the current item (or text line) started
  uint64_t rows_ = 0;
  size_t tabs_ = 0;         // text: tabs in the current line
  bool line_open_ = false;  // text: bytes after the last newline
  Status error_;
};

}  // namespace dbb::pg
