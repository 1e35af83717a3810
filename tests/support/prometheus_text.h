// A strict parser of the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), written from that document and
// the reference parser's rules (prometheus/common expfmt), for tests of our writer: it shares no
// code with src/engine/metrics_file.cpp.
//
// Accepted: empty lines; comments ("#" not followed by HELP or TYPE); "# HELP name text" (escapes
// \\ and \n); "# TYPE name counter|gauge|histogram|summary|untyped"; samples
//   name[{label="value",...[,]}] value [timestamp]
// with blanks or tabs between tokens, name matching [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* (not __name__), label values UTF-8 with the escapes \\ \" \n, values in
// decimal notation or NaN / [+-]Inf (case-insensitive, as Go's ParseFloat), an int64 timestamp in
// ms. The samples name_bucket/_sum/_count belong to a family name of TYPE histogram (summary: _sum,
// _count).
//
// Rejected, with "line N: <reason>": a HELP or TYPE after its family's samples, a second HELP or
// TYPE for a family, a family's lines not contiguous, the same series (name and label set) twice,
// the same label twice in a sample, bad names, bad escapes, bad values or timestamps, text after
// the value or timestamp, and input whose last line does not end in "\n".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace dbb::testing::prom {

struct Sample {
  std::string name;  // as written: a histogram's samples end in _bucket, _sum, _count
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
  std::string value_text;  // as written
  std::optional<int64_t> timestamp_ms;
};

struct Family {
  std::string name;
  std::string type = "untyped";  // as declared by TYPE
  bool has_type_line = false;
  std::optional<std::string> help;  // unescaped
  std::vector<Sample> samples;      // in file order

  // The sample named `name` (default: the family's) with exactly these labels; nullptr if none.
  const Sample* Find(const std::map<std::string, std::string>& labels,
                     std::string_view name = {}) const;
};

struct Exposition {
  std::vector<Family> families;  // in file order

  const Family* Find(std::string_view name) const;  // nullptr if absent
};

// kCorrupt "line N: <reason>" for input that is not valid 0.0.4 text.
Result<Exposition> ParsePrometheusText(std::string_view text);

}  // namespace dbb::testing::prom
