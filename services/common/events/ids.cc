// Hashing through OpenSSL's libcrypto.
#include "services/common/events/ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "services/common/base/strings.h"

namespace leadflow::events {

namespace {

// The SHA-256 implementation, fetched once: OpenSSL 3 looks an algorithm up on every call that
// names it by EVP_sha256(), which cost more than hashing an event id.
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

}  // namespace

std::string Sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 on in-memory input short of memory exhaustion.
  EVP_Digest(data.data(), data.size(), out, &len, Sha256Md(), nullptr);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0f]);
  }
  return out;
}

std::string UuidFromDigest(std::string_view digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  const size_t n = std::min<size_t>(digest.size(), 16);
  for (size_t i = 0; i < n; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const auto byte = static_cast<unsigned char>(digest[i]);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0f]);
  }
  return out;
}

std::string EventId(std::string_view cause_key, std::string_view kind, int64_t sub_index) {
  return EventId(cause_key, kind, std::string_view(std::to_string(sub_index)));
}

std::string EventId(std::string_view cause_key, std::string_view kind, std::string_view sub_index) {
  std::string key;
  key.reserve(cause_key.size() + kind.size() + sub_index.size() + 2);
  key.append(cause_key).append("/").append(kind).append("/").append(sub_index);
  return UuidFromDigest(Sha256(key));
}

}  // namespace leadflow::events
