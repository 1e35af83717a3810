#include "engine/verify_checks.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/units.h"
#include "compress/crc32c.h"
#include "compress/decompressor.h"
#include "compress/sha256.h"
#include "engine/blob_stream.h"
#include "engine/json_fields.h"
#include "io/small_file.h"
#include "pg/copy_framing.h"

namespace dbb::engine::verify_internal {
namespace {

// Files up to this size are read in one call: external contents are mostly small, and an
// io_uring ring per file would cost more than the read.
constexpr uint64_t kSmallFileBytes = 256 * kKiB;

// What reading one file found.
struct Scan {
  bool missing = false;
  Status read;  // could not be opened or read (kCancelled: the run stopped)
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
  Status decode;  // inflating, or the consumer of the inflated stream, failed (full mode)
  uint64_t members = 0;
  uint64_t raw_bytes = 0;
};

// Takes the file's pieces in order: CRC-32C over all of them and, with a sink, the inflated
// stream into it. After a decoding error the CRC still covers the whole file, so that a damaged
// file is reported with both.
class ScanFeed {
 public:
  ScanFeed(const compress::ByteSink* sink, Scan* scan) : sink_(sink), scan_(scan) {}

  void Take(std::span<const std::byte> piece) {
    scan_->crc32c = compress::Crc32c(scan_->crc32c, piece);
    if (sink_ == nullptr || !scan_->decode.ok() || piece.empty()) return;
    if (!decoder_) {
      auto format = compress::DetectFormat(piece);
      if (!format.ok()) {
        scan_->decode = format.status();
        return;
      }
      auto made = compress::MakeDecompressor(format.value());
      if (!made.ok()) {
        scan_->decode = made.status();
        return;
      }
      decoder_ = std::move(made.value());
    }
    scan_->decode = decoder_->Feed(piece, *sink_);
  }

  void Finish() {
    if (sink_ == nullptr || !scan_->decode.ok()) return;
    if (!decoder_) {
      scan_->decode = Status(StatusCode::kCorrupt, "empty: no gzip member or zstd frame");
      return;
    }
    scan_->decode = decoder_->Finish();
    scan_->members = decoder_->members();
    scan_->raw_bytes = decoder_->bytes_out();
  }

 private:
  const compress::ByteSink* sink_;
  Scan* scan_;
  std::unique_ptr<compress::Decompressor> decoder_;
};

// Reads the file at `path` once (CRC-32C, and with `sink` its inflated stream), in pieces.
Scan ScanFile(Findings& f, const std::string& path, const compress::ByteSink* sink) {
  Scan scan;
  ScanFeed feed(sink, &scan);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    scan.missing = errno == ENOENT;
    scan.read = Status::FromErrno(errno, path);
    return scan;
  }
  if (!S_ISREG(st.st_mode)) {
    scan.read = Status(StatusCode::kCorrupt, "not a regular file");
    return scan;
  }
  if (static_cast<uint64_t>(st.st_size) <= kSmallFileBytes) {
    auto text = io::ReadSmallFile(path, kSmallFileBytes);
    if (!text.ok()) {
      scan.read = text.status();
      return scan;
    }
    scan.bytes = text->size();
    feed.Take(std::as_bytes(std::span<const char>(text->data(), text->size())));
    f.BytesRead(scan.bytes);
    feed.Finish();
    return scan;
  }
  auto reader = io::OpenReader(path, f.options().reader);
  if (!reader.ok()) {
    scan.read = reader.status();
    return scan;
  }
  scan.bytes = reader.value()->file_bytes();
  for (;;) {
    if (f.stopped()) {
      scan.read = Status(StatusCode::kCancelled, "stopped");
      return scan;
    }
    auto piece = reader.value()->Next();
    if (!piece.ok()) {
      scan.read = piece.status();
      return scan;
    }
    if (piece->empty()) break;
    feed.Take(piece.value());
    f.BytesRead(piece->size());
  }
  feed.Finish();
  return scan;
}

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "; " + b;
}

std::string Says(const std::string& found, uint64_t recorded) {
  return found + ", the manifest says " + std::to_string(recorded);
}

// The first thing wrong with the file's bytes (missing, unreadable, size, CRC-32C), or "".
std::string StoredProblem(const Scan& s, const std::string& path, uint64_t bytes, uint32_t crc) {
  if (s.missing) return "missing (the manifest lists it)";
  if (!s.read.ok()) return WithoutPath(s.read.message(), path);
  if (s.bytes != bytes) return Says(std::to_string(s.bytes) + " bytes", bytes);
  if (s.crc32c != crc) return "CRC-32C " + Hex32(s.crc32c) + ", the manifest says " + Hex32(crc);
  return "";
}

// The first thing wrong with an inflated stream's length and member count, or "".
std::string StreamProblem(const Scan& s, const DataFile& file) {
  if (!s.decode.ok()) return s.decode.message();
  if (s.members != file.members) {
    return Says(std::to_string(s.members) + " gzip members or zstd frames", file.members);
  }
  if (s.raw_bytes != file.raw_bytes) {
    return Says("inflates to " + std::to_string(s.raw_bytes) + " bytes", file.raw_bytes);
  }
  return "";
}

// Whether the file's bytes could be read at all (a content check makes sense).
bool Readable(const Scan& s) { return !s.missing && s.read.ok(); }

bool Cancelled(const Scan& s) { return s.read.code() == StatusCode::kCancelled; }

}  // namespace

std::string WithoutPath(const std::string& message, const std::string& path) {
  const std::string head = path + ": ";
  return message.starts_with(head) ? message.substr(head.size()) : message;
}

void Findings::Problem(const std::string& path, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  problems_.push_back({.path = path, .what = what});
  if (options_.on_problem) options_.on_problem(problems_.back());
}

bool Findings::FirstReport(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return reported_.insert(path).second;
}

void Findings::BytesRead(uint64_t bytes) {
  if (options_.progress != nullptr) options_.progress->AddBytes(bytes);
}

void Findings::FileDone(uint64_t stored_bytes, uint64_t raw_bytes, uint64_t rows,
                        uint64_t objects) {
  ++files_;
  stored_bytes_ += stored_bytes;
  raw_bytes_ += raw_bytes;
  rows_ += rows;
  objects_ += objects;
  if (options_.progress != nullptr) options_.progress->AddUnitsDone(1);
}

void Findings::AddTotals(uint64_t files, uint64_t bytes) {
  if (options_.progress != nullptr) options_.progress->AddPlanned(files, bytes);
}

std::vector<VerifyProblem> Findings::problems() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<VerifyProblem> out = problems_;
  std::stable_sort(out.begin(), out.end(),
                   [](const VerifyProblem& a, const VerifyProblem& b) { return a.path < b.path; });
  return out;
}

void CheckPlainFile(Findings& f, const std::string& dir, const std::string& prefix,
                    const std::string& file, uint64_t bytes, uint32_t crc32c) {
  const std::string path = dir + "/" + file;
  const Scan s = ScanFile(f, path, nullptr);
  if (Cancelled(s)) return;
  f.FileDone(s.bytes, 0, 0, 0);
  const std::string what = StoredProblem(s, path, bytes, crc32c);
  if (!what.empty()) f.Problem(prefix + file, what);
}

void CheckTableFile(Findings& f, const BackupUnderCheck& b, const TableEntry& table,
                    const DataFile& file) {
  const std::string path = b.dir + "/" + file.file;
  pg::CopyFraming framing(table.binary ? pg::CopyFormat::kBinary : pg::CopyFormat::kText,
                          table.columns.size());
  const compress::ByteSink sink = [&framing](std::span<const std::byte> bytes) {
    return framing.Feed(bytes);
  };
  const Scan s = ScanFile(f, path, f.quick() ? nullptr : &sink);
  if (Cancelled(s)) return;
  std::string what = StoredProblem(s, path, file.stored_bytes, file.crc32c);
  if (!f.quick() && Readable(s)) {
    std::string stream = StreamProblem(s, file);
    if (stream.empty()) {
      if (Status end = framing.Finish(); !end.ok()) {
        stream = end.message();
      } else if (framing.rows() != file.rows) {
        stream = Says(std::to_string(framing.rows()) + " rows", file.rows);
      }
    }
    what = Join(what, stream);
  }
  f.FileDone(s.bytes, s.raw_bytes, framing.rows(), 0);
  if (!what.empty()) f.Problem(b.prefix + file.file, what);
}

namespace {

// Follows a blob file's object stream: counts objects and content bytes, checks OID order and
// range, and that every external content it names is in blobs/.
class BlobChecker : public BlobStreamParser::Handler {
 public:
  BlobChecker(Findings& f, const BackupUnderCheck& b, const BlobFile& file)
      : f_(f), b_(b), file_(file) {}

  Status Begin(const BlobRecord& r) override {
    const uint32_t oid = r.object.oid;
    if (oid < file_.first_oid || oid > file_.last_oid || (objects_ > 0 && oid <= last_oid_)) {
      return Status(StatusCode::kCorrupt, "large object " + std::to_string(oid) +
                                              " is out of order or outside the "
                                              "file's range " +
                                              std::to_string(file_.first_oid) + ".." +
                                              std::to_string(file_.last_oid));
    }
    last_oid_ = oid;
    ++objects_;
    bytes_ += r.object.size;
    if (r.sha256 && r.object.size > 0) CheckContentPresent(oid, *r.sha256);
    return Status::Ok();
  }
  Status Content(std::span<const std::byte>) override { return Status::Ok(); }
  Status End() override { return Status::Ok(); }

  uint64_t objects() const { return objects_; }
  uint64_t bytes() const { return bytes_; }

 private:
  // A missing content is a problem of its own file (named once, however many objects share it);
  // the blob file itself is fine.
  void CheckContentPresent(uint32_t oid, const compress::Sha256Digest& digest) {
    const std::string file = BlobContentPath(compress::ToHex(digest), b_.suffix);
    struct stat st {};
    if (::stat((b_.dir + "/" + file).c_str(), &st) == 0) return;
    if (f_.FirstReport(b_.prefix + file)) {
      f_.Problem(b_.prefix + file, "missing: large object " + std::to_string(oid) + " in " +
                                       file_.data.file + " has this content");
    }
  }

  Findings& f_;
  const BackupUnderCheck& b_;
  const BlobFile& file_;
  uint32_t last_oid_ = 0;
  uint64_t objects_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace

void CheckBlobFile(Findings& f, const BackupUnderCheck& b, const BlobFile& file) {
  const DataFile& data = file.data;
  const std::string path = b.dir + "/" + data.file;
  BlobChecker checker(f, b, file);
  BlobStreamParser parser(&checker);
  const compress::ByteSink sink = [&parser](std::span<const std::byte> bytes) {
    return parser.Feed(bytes);
  };
  const Scan s = ScanFile(f, path, f.quick() ? nullptr : &sink);
  if (Cancelled(s)) return;
  std::string what = StoredProblem(s, path, data.stored_bytes, data.crc32c);
  if (!f.quick() && Readable(s)) {
    std::string stream = StreamProblem(s, data);
    if (stream.empty()) {
      if (Status end = parser.Finish(); !end.ok()) {
        stream = end.message();
      } else if (checker.objects() != data.rows) {
        stream = Says(std::to_string(checker.objects()) + " large objects", data.rows);
      } else if (checker.bytes() != file.bytes) {
        stream = Says("objects of " + std::to_string(checker.bytes()) + " bytes", file.bytes);
      }
    }
    what = Join(what, stream);
  }
  f.FileDone(s.bytes, s.raw_bytes, 0, checker.objects());
  if (!what.empty()) f.Problem(b.prefix + data.file, what);
}

namespace {

// "<64 hex digits><suffix>" whose first two digits are `sub`: a content file's name.
bool IsContentName(const std::string& name, const std::string& sub, const std::string& suffix) {
  return name.size() == 64 + suffix.size() && name.compare(0, 2, sub) == 0 &&
         name.find_first_not_of("0123456789abcdef") == 64 && name.ends_with(suffix);
}

// One content file: counted; full: inflated, its SHA-256 compared with its name.
void CheckContentFile(Findings& f, BackupUnderCheck& b, const std::string& file) {
  const std::string path = b.dir + "/" + file;
  const std::string name_hex = file.substr(file.rfind('/') + 1, 64);
  if (f.quick()) {
    // No checksum of its own to compare without inflating: counted for the totals only.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return f.Problem(b.prefix + file, "cannot be read");
    ++b.content_files;
    b.content_bytes += static_cast<uint64_t>(st.st_size);
    f.BytesRead(static_cast<uint64_t>(st.st_size));  // for the progress line: it is done
    return f.FileDone(static_cast<uint64_t>(st.st_size), 0, 0, 0);
  }
  compress::Sha256 hash;
  const compress::ByteSink sink = [&hash](std::span<const std::byte> bytes) {
    hash.Update(bytes);
    return Status::Ok();
  };
  const Scan s = ScanFile(f, path, &sink);
  if (Cancelled(s)) return;
  ++b.content_files;
  b.content_bytes += s.bytes;
  f.FileDone(s.bytes, s.raw_bytes, 0, 0);
  std::string what;
  if (!Readable(s)) {
    what = WithoutPath(s.read.message(), path);
  } else if (!s.decode.ok()) {
    what = s.decode.message();
  } else if (const std::string hex = compress::ToHex(hash.Finish()); hex != name_hex) {
    what = "its content's SHA-256 is " + hex + ", not its name: the content was changed";
  }
  if (!what.empty()) f.Problem(b.prefix + file, what);
}

}  // namespace

void CheckContentDir(Findings& f, BackupUnderCheck& b, const std::string& sub) {
  const std::string rel = std::string(kBlobContentDirName) + "/" + sub;
  DIR* d = ::opendir((b.dir + "/" + rel).c_str());
  if (d == nullptr) {
    return f.Problem(b.prefix + rel, Status::FromErrno(errno, "cannot be listed").message());
  }
  // Checked as the directory is read: no list of its entries is held.
  // readdir is thread-safe on a stream no other thread reads (glibc, POSIX.1-2024).
  while (const dirent* e = ::readdir(d)) {  // NOLINT(concurrency-mt-unsafe)
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (f.stopped()) break;
    if (!IsContentName(name, sub, b.suffix)) {
      f.Problem(b.prefix + rel + "/" + name,
                std::string("not a large-object content of this backup (those are named "
                            "<SHA-256>") +
                    b.suffix + ")");
      continue;
    }
    CheckContentFile(f, b, rel + "/" + name);
  }
  ::closedir(d);
}

}  // namespace dbb::engine::verify_internal
