#include "common/status.h"

#include <cerrno>
#include <cstring>

namespace dbb {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kIoError:
      return "I/O error";
    case StatusCode::kNoSpace:
      return "no space";
    case StatusCode::kCorrupt:
      return "corrupt data";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kConnection:
      return "connection failed";
    case StatusCode::kServer:
      return "server error";
    case StatusCode::kRefused:
      return "refused";
    case StatusCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

Status Status::FromErrno(int sys_errno, std::string_view what) {
  const StatusCode code =
      (sys_errno == ENOSPC || sys_errno == EDQUOT) ? StatusCode::kNoSpace : StatusCode::kIoError;
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(sys_errno);
  return Status(code, std::move(msg), sys_errno);
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg), errno_);
}

std::string Status::ToString() const { return ok() ? std::string("ok") : message_; }

}  // namespace dbb
