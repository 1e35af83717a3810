// Operating errors (ENOSPC, EINVAL from O_DIRECT, a corrupt input file, a lost connection) travel
// as values: Status, or Result<T> for functions that also produce something. The message names the
// thing (path, offset, table) and, where there is one, the fix; the caller adds context with
// Status::WithContext rather than building a new message.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace dbb {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad option or value given by the user
  kIoError,          // a system call on a file failed (errno is set)
  kNoSpace,          // ENOSPC / EDQUOT: the destination is full
  kCorrupt,          // input that does not decode: bad gzip member, bad checksum, truncated file
  kUnsupported,      // the kernel or file system refuses a feature
  kCancelled,        // stopped: another part of the run failed first, or SIGINT/SIGTERM
  kConnection,       // cannot reach or log in to the server, or the database does not exist
  kServer,           // the server reported an error (the message carries its SQLSTATE)
  kRefused,          // the destination is not safe to write: backup dir or target db not empty
  kInternal,         // a library returned something it documents as impossible
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, int sys_errno = 0)
      : code_(code), errno_(sys_errno), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  // Builds an error from errno: "<what>: <strerror>"; ENOSPC/EDQUOT map to kNoSpace.
  static Status FromErrno(int sys_errno, std::string_view what);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  int sys_errno() const { return errno_; }
  const std::string& message() const { return message_; }
  // "<context>: <message>", keeping code and errno.
  Status WithContext(std::string_view context) const;
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  int errno_ = 0;
  std::string message_;
};

// A value or an error. Accessing value() of an error is a programmer bug (checked).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    DBB_CHECK_MSG(!std::get<Status>(v_).ok(), "Result built from an OK status without a value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    DBB_CHECK_MSG(ok(), status().message().c_str());
    return std::get<T>(v_);
  }
  T&& value() && {
    DBB_CHECK_MSG(ok(), status().message().c_str());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace dbb

// Early return of an error Status from a function returning Status or Result<T>.
#define DBB_RETURN_IF_ERROR(expr)      \
  do {                                 \
    ::dbb::Status _dbb_st = (expr);    \
    if (!_dbb_st.ok()) return _dbb_st; \
  } while (0)
