// Hashing through OpenSSL's libcrypto.
#include "services/common/events/ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "services/common/base/strings.h"

namespace leadflow::events {

std::string Sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 on in-memory input short of memory exhaustion.
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
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
  std::string out = HexEncode(digest.substr(0, 16));
  for (size_t at : {20, 16, 12, 8}) {
    if (at < out.size()) out.insert(at, 1, '-');
  }
  return out;
}

std::string EventId(std::string_view cause_key, std::string_view kind, int64_t sub_index) {
  return UuidFromDigest(Sha256(StrCat(cause_key, "/", kind, "/", sub_index)));
}

}  // namespace leadflow::events
