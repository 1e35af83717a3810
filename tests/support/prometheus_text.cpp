#include "support/prometheus_text.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

namespace dbb::testing::prom {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNameStart(char c, bool colon) { return IsAlpha(c) || c == '_' || (colon && c == ':'); }
bool IsNameChar(char c, bool colon) { return IsNameStart(c, colon) || IsDigit(c); }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// UTF-8 as Go's utf8.ValidString: no overlong forms, no surrogates, nothing above U+10FFFF.
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto byte = [&](size_t k) {
      return static_cast<unsigned>(static_cast<unsigned char>(s[k]));
    };
    const unsigned c = byte(i);
    size_t n = 0;
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    if (c < 0x80) {
      n = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const unsigned b = byte(i + k);
      const unsigned min = k == 1 ? lo : 0x80;
      const unsigned max = k == 1 ? hi : 0xBF;
      if (b < min || b > max) return false;
    }
    i += n;
  }
  return true;
}

// Go's ParseFloat for decimal text: [+-] then digits[.digits] or .digits, optional exponent; or
// the special values (inf, infinity with optional sign, nan; any case).
std::optional<double> ParseValue(std::string_view v) {
  std::string_view body = v;
  const bool negative = !body.empty() && body.front() == '-';
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) body.remove_prefix(1);
  if (EqualsNoCase(body, "inf") || EqualsNoCase(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (EqualsNoCase(v, "nan")) return std::numeric_limits<double>::quiet_NaN();
  size_t i = 0;
  size_t digits = 0;
  while (i < body.size() && IsDigit(body[i])) ++i, ++digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && IsDigit(body[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    const size_t exp_digits = i;
    while (i < body.size() && IsDigit(body[i])) ++i;
    if (i == exp_digits) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  const std::string copy(v);
  return std::strtod(copy.c_str(), nullptr);
}

std::optional<int64_t> ParseTimestamp(std::string_view t) {
  size_t i = (!t.empty() && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
  if (i == t.size()) return std::nullopt;
  for (size_t k = i; k < t.size(); ++k) {
    if (!IsDigit(t[k])) return std::nullopt;
  }
  const std::string copy(t);
  errno = 0;
  const long long v = std::strtoll(copy.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<int64_t>(v);
}

// The text of one line, consumed from the front.
struct Cursor {
  std::string_view rest;

  bool Done() const { return rest.empty(); }
  char Peek() const { return rest.empty() ? '\0' : rest.front(); }
  void Skip(size_t n = 1) { rest.remove_prefix(n); }
  size_t SkipBlanks() {
    size_t n = 0;
    while (!rest.empty() && IsBlank(rest.front())) Skip(), ++n;
    return n;
  }
  // A name token ([a-zA-Z_:][a-zA-Z0-9_:]* with colon, else without); "" if none starts here.
  std::string_view Name(bool colon) {
    size_t n = 0;
    while (n < rest.size() && (n == 0 ? IsNameStart(rest[n], colon) : IsNameChar(rest[n], colon))) {
      ++n;
    }
    const std::string_view name = rest.substr(0, n);
    Skip(n);
    return name;
  }
  std::string_view Token() {
    size_t n = 0;
    while (n < rest.size() && !IsBlank(rest[n])) ++n;
    const std::string_view token = rest.substr(0, n);
    Skip(n);
    return token;
  }
};

class Parser {
 public:
  Result<Exposition> Run(std::string_view text);

 private:
  Status Error(const std::string& reason) const {
    return Status(StatusCode::kCorrupt, "line " + std::to_string(line_) + ": " + reason);
  }
  Status Line(std::string_view line);
  Status Comment(Cursor c);
  Status Help(Cursor c, const std::string& name);
  Status Type(Cursor c, const std::string& name);
  Status SampleLine(Cursor c);
  Status Labels(Cursor& c, std::map<std::string, std::string>* labels);
  Status LabelValue(Cursor& c, std::string* value);
  // The family `name` for a HELP or TYPE line (created when new): an error once it has samples.
  Result<Family*> MetaFamily(const std::string& name, const char* what);
  // The family a sample named `name` belongs to (created when new, becoming the current group).
  Result<Family*> SampleFamily(const std::string& name);
  Family* Begin(const std::string& name);

  Exposition out_;
  std::map<std::string, size_t> index_;
  std::set<std::string> closed_;  // families whose group has ended
  std::string current_;           // the family of the group in progress
  std::set<std::pair<std::string, std::map<std::string, std::string>>> series_;
  int line_ = 0;
};

Result<Exposition> Parser::Run(std::string_view text) {
  while (!text.empty()) {
    ++line_;
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return Error("missing newline at the end of the input");
    DBB_RETURN_IF_ERROR(Line(text.substr(0, nl)));
    text.remove_prefix(nl + 1);
  }
  return std::move(out_);
}

Status Parser::Line(std::string_view line) {
  Cursor c{line};
  c.SkipBlanks();
  if (c.Done()) return Status::Ok();
  if (c.Peek() == '#') {
    c.Skip();
    return Comment(c);
  }
  return SampleLine(c);
}

Status Parser::Comment(Cursor c) {
  c.SkipBlanks();
  const std::string_view keyword = c.Token();
  if (keyword != "HELP" && keyword != "TYPE") return Status::Ok();  // a plain comment
  if (c.SkipBlanks() == 0) return Error("no metric name after " + std::string(keyword));
  const std::string name(c.Name(/*colon=*/true));
  if (name.empty() || (!c.Done() && !IsBlank(c.Peek()))) {
    return Error("invalid metric name in " + std::string(keyword) + " line");
  }
  return keyword == "HELP" ? Help(c, name) : Type(c, name);
}

Status Parser::Help(Cursor c, const std::string& name) {
  Result<Family*> f = MetaFamily(name, "HELP");
  if (!f.ok()) return f.status();
  if ((*f)->help.has_value()) return Error("second HELP line for " + name);
  c.SkipBlanks();
  std::string help;
  while (!c.Done()) {
    char ch = c.Peek();
    c.Skip();
    if (ch == '\\') {
      if (c.Peek() == 'n') {
        ch = '\n';
      } else if (c.Peek() == '\\') {
        ch = '\\';
      } else {
        return Error("invalid escape in HELP text of " + name);
      }
      c.Skip();
    }
    help += ch;
  }
  if (!ValidUtf8(help)) return Error("HELP text of " + name + " is not UTF-8");
  (*f)->help = std::move(help);
  return Status::Ok();
}

Status Parser::Type(Cursor c, const std::string& name) {
  Result<Family*> f = MetaFamily(name, "TYPE");
  if (!f.ok()) return f.status();
  if ((*f)->has_type_line) return Error("second TYPE line for " + name);
  c.SkipBlanks();
  const std::string type(c.Token());
  if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
      type != "untyped") {
    return Error("unknown metric type '" + type + "' for " + name);
  }
  c.SkipBlanks();
  if (!c.Done()) return Error("unexpected text after the TYPE of " + name);
  (*f)->type = type;
  (*f)->has_type_line = true;
  return Status::Ok();
}

Family* Parser::Begin(const std::string& name) {
  if (!current_.empty() && current_ != name) closed_.insert(current_);
  current_ = name;
  const auto it = index_.find(name);
  if (it != index_.end()) return &out_.families[it->second];
  index_[name] = out_.families.size();
  out_.families.push_back(Family{.name = name});
  return &out_.families.back();
}

Result<Family*> Parser::MetaFamily(const std::string& name, const char* what) {
  if (closed_.contains(name)) {
    return Error(std::string(what) + " line for " + name + " after its group of lines ended");
  }
  const auto it = index_.find(name);
  if (it != index_.end() && !out_.families[it->second].samples.empty()) {
    return Error(std::string(what) + " line for " + name + " after its samples");
  }
  return Begin(name);
}

Result<Family*> Parser::SampleFamily(const std::string& name) {
  std::string family = name;
  for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (!name.ends_with(suffix)) continue;
    const std::string base = name.substr(0, name.size() - suffix.size());
    const auto it = index_.find(base);
    if (it == index_.end()) continue;
    const std::string& type = out_.families[it->second].type;
    if (type == "histogram" || (type == "summary" && suffix != "_bucket")) family = base;
  }
  if (closed_.contains(family)) return Error("samples of " + family + " are not contiguous");
  return Begin(family);
}

Status Parser::SampleLine(Cursor c) {
  Sample s;
  s.name = std::string(c.Name(/*colon=*/true));
  if (s.name.empty()) return Error("invalid metric name");
  const bool blank_after_name = c.SkipBlanks() > 0;
  const bool braces = c.Peek() == '{';
  if (braces) DBB_RETURN_IF_ERROR(Labels(c, &s.labels));
  if (c.SkipBlanks() == 0 && !braces && !blank_after_name) {
    return Error("invalid character after the metric name " + s.name);
  }
  s.value_text = std::string(c.Token());
  const std::optional<double> value = ParseValue(s.value_text);
  if (!value) return Error("invalid value '" + s.value_text + "' for " + s.name);
  s.value = *value;
  if (c.SkipBlanks() > 0 && !c.Done()) {
    const std::string_view t = c.Token();
    s.timestamp_ms = ParseTimestamp(t);
    if (!s.timestamp_ms) return Error("invalid timestamp '" + std::string(t) + "'");
    c.SkipBlanks();
  }
  if (!c.Done()) return Error("unexpected text after the sample: '" + std::string(c.rest) + "'");
  if (!series_.insert({s.name, s.labels}).second) return Error("duplicate series of " + s.name);
  Result<Family*> f = SampleFamily(s.name);
  if (!f.ok()) return f.status();
  (*f)->samples.push_back(std::move(s));
  return Status::Ok();
}

Status Parser::Labels(Cursor& c, std::map<std::string, std::string>* labels) {
  c.Skip();  // '{'
  for (;;) {
    c.SkipBlanks();
    if (c.Peek() == '}') break;
    const std::string name(c.Name(/*colon=*/false));
    if (name.empty()) return Error("invalid label name");
    if (name == "__name__") return Error("label name __name__ is reserved");
    c.SkipBlanks();
    if (c.Peek() != '=') return Error("expected '=' after label " + name);
    c.Skip();
    c.SkipBlanks();
    std::string value;
    DBB_RETURN_IF_ERROR(LabelValue(c, &value));
    if (!labels->emplace(name, std::move(value)).second) return Error("label " + name + " twice");
    c.SkipBlanks();
    if (c.Peek() == ',') {
      c.Skip();
    } else if (c.Peek() != '}') {
      return Error("expected ',' or '}' after the value of label " + name);
    }
  }
  c.Skip();  // '}'
  return Status::Ok();
}

Status Parser::LabelValue(Cursor& c, std::string* value) {
  if (c.Peek() != '"') return Error("label value not quoted");
  c.Skip();
  for (;;) {
    if (c.Done()) return Error("unterminated label value");
    char ch = c.Peek();
    c.Skip();
    if (ch == '"') break;
    if (ch == '\\') {
      const char e = c.Peek();
      if (e == 'n') {
        ch = '\n';
      } else if (e == '\\' || e == '"') {
        ch = e;
      } else {
        return Error("invalid escape in label value");
      }
      c.Skip();
    }
    *value += ch;
  }
  if (!ValidUtf8(*value)) return Error("label value is not UTF-8");
  return Status::Ok();
}

}  // namespace

const Sample* Family::Find(const std::map<std::string, std::string>& labels,
                           std::string_view sample_name) const {
  if (sample_name.empty()) sample_name = name;
  for (const Sample& s : samples) {
    if (s.name == sample_name && s.labels == labels) return &s;
  }
  return nullptr;
}

const Family* Exposition::Find(std::string_view name) const {
  for (const Family& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<Exposition> ParsePrometheusText(std::string_view text) { return Parser().Run(text); }

}  // namespace dbb::testing::prom
