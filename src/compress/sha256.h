// SHA-256 (OpenSSL), the content address of an external large object: two objects with the
// same digest are stored once, so the hash must resist collisions (a CRC would not).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace dbb::compress {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental: Update any number of times, then Finish once. Move-only (owns an OpenSSL
// context).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&&) = delete;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const std::byte> bytes);
  Sha256Digest Finish();

 private:
  evp_md_ctx_st* ctx_;
};

Sha256Digest Sha256Of(std::span<const std::byte> bytes);
// 64 lowercase hex digits.
std::string ToHex(const Sha256Digest& digest);

}  // namespace dbb::compress
