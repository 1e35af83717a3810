#include "pg/libpq_info.h"

#include <libpq-fe.h>

namespace dbb::pg {

std::string LibpqVersion() {
  const int v = PQlibVersion();  // e.g. 150018
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

}  // namespace dbb::pg
