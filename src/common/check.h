// Always-on assertions for programmer bugs (never for operating errors, which are Status values).
// They stay enabled in release builds and abort with file:line and the failed condition.
#pragma once

namespace dbb {

[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const char* detail);

}  // namespace dbb

#define DBB_CHECK(cond)                                       \
  do {                                                        \
    if (!(cond)) [[unlikely]]                                 \
      ::dbb::CheckFailed(__FILE__, __LINE__, #cond, nullptr); \
  } while (0)

#define DBB_CHECK_MSG(cond, msg)                            \
  do {                                                      \
    if (!(cond)) [[unlikely]]                               \
      ::dbb::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
