#include "compress/sha256.h"

#include <openssl/evp.h>

#include <utility>

#include "common/check.h"

namespace dbb::compress {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  DBB_CHECK_MSG(ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1,
                "OpenSSL SHA-256 init failed");
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

void Sha256::Update(std::span<const std::byte> bytes) {
  DBB_CHECK(EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1);
}

Sha256Digest Sha256::Finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  DBB_CHECK(EVP_DigestFinal_ex(ctx_, digest.data(), &length) == 1 && length == digest.size());
  return digest;
}

Sha256Digest Sha256Of(std::span<const std::byte> bytes) {
  Sha256 hash;
  hash.Update(bytes);
  return hash.Finish();
}

std::string ToHex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (uint8_t b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

}  // namespace dbb::compress
