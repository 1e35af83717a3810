// Synthetic data for `dbbackup bench` and the benchmarks: a repeatable stand-in for a COPY stream
// of a database that is half text-like rows and half incompressible bytes (bytea of already
// compressed files). Generated once into memory, then fed repeatedly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dbb::engine {

enum class SampleKind { kText, kRandom, kMixed };

const char* SampleKindName(SampleKind kind);  // "text", "random", "mixed"

// `size` bytes of the given kind; the same seed gives the same bytes. Mixed alternates 64 KiB
// blocks of text-like rows and random bytes.
std::vector<std::byte> MakeSampleData(SampleKind kind, size_t size, uint64_t seed = 1);

}  // namespace dbb::engine
