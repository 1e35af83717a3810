#include "engine/sample_data.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace dbb::engine {

namespace {

// xorshift64*: fast and deterministic.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 2685821657736338717ULL;
  }

 private:
  uint64_t state_;
};

void FillRandom(Rng& rng, std::byte* out, size_t size) {
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t v = rng.Next();
    std::memcpy(out + i, &v, std::min<size_t>(8, size - i));
  }
}

// Rows shaped like a film/rental table: id, a description of dictionary words, an amount, a
// timestamp. Compresses about 3-4x with gzip -1, like real COPY text.
void FillText(Rng& rng, std::byte* out, size_t size) {
  static constexpr const char* kWords[] = {
      "ACADEMY",      "DINOSAUR",  "epic",      "drama",   "of",      "a",      "feminist",
      "and",          "mad",       "scientist", "who",     "must",    "battle", "teacher",
      "in",           "canadian",  "rockies",   "PG",      "Deleted", "Scenes", "Behind",
      "the",          "Trailers",  "2006",      "english", "NC-17",   "R",      "G",
      "Commentaries", "astronaut", "boat",      "lake"};
  static constexpr size_t kWordCount = sizeof kWords / sizeof kWords[0];
  std::string row;
  size_t filled = 0;
  uint64_t id = rng.Next() % 1000;
  while (filled < size) {
    row.clear();
    row += std::to_string(++id);
    row += '\t';
    const uint64_t words = 3 + rng.Next() % 12;
    for (uint64_t w = 0; w < words; ++w) {
      if (w) row += ' ';
      row += kWords[rng.Next() % kWordCount];
    }
    row += '\t';
    row += std::to_string(rng.Next() % 100000);
    row += "\t2006-02-15 ";
    row += std::to_string(10 + rng.Next() % 14) + ":" + std::to_string(10 + rng.Next() % 50);
    row += ":03+00\n";
    const size_t n = std::min(row.size(), size - filled);
    std::memcpy(out + filled, row.data(), n);
    filled += n;
  }
}

}  // namespace

std::vector<std::byte> MakeSampleData(SampleKind kind, size_t size, uint64_t seed) {
  constexpr size_t kBlock = 64 * 1024;
  std::vector<std::byte> out(size);
  Rng rng(seed);
  for (size_t off = 0, block = 0; off < size; off += kBlock, ++block) {
    const size_t n = std::min(kBlock, size - off);
    const bool text = kind == SampleKind::kText || (kind == SampleKind::kMixed && block % 2 == 0);
    if (text) {
      FillText(rng, out.data() + off, n);
    } else {
      FillRandom(rng, out.data() + off, n);
    }
  }
  return out;
}

const char* SampleKindName(SampleKind kind) {
  switch (kind) {
    case SampleKind::kText:
      return "text";
    case SampleKind::kRandom:
      return "random";
    case SampleKind::kMixed:
      break;
  }
  return "mixed";
}

}  // namespace dbb::engine
