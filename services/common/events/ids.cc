// Hashing through OpenSSL's libcrypto.
#include "services/common/events/ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <string>

#include "services/common/base/strings.h"

namespace leadflow::events {

namespace {

// The SHA-256 implementation, fetched once: OpenSSL 3 looks an algorithm up on every call that
// names it by EVP_sha256(), which cost more than hashing an event id.
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

// An HMAC-SHA-256 context keyed with one key, re-initialised (same key) for every MAC.
class HmacContext {
 public:
  HmacContext() = default;
  HmacContext(const HmacContext&) = delete;
  HmacContext& operator=(const HmacContext&) = delete;
  ~HmacContext() { EVP_MAC_CTX_free(ctx_); }

  // A context ready for EVP_MAC_update under `key`; null when OpenSSL cannot give one (the
  // caller falls back to the one-shot HMAC). An empty key is left to the one-shot form: OpenSSL
  // reads a null key as "the key set before".
  EVP_MAC_CTX* For(std::string_view key) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr || key.empty()) return nullptr;
    if (ctx_ != nullptr && key == key_) {
      return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1 ? ctx_ : nullptr;
    }
    EVP_MAC_CTX_free(ctx_);
    key_.clear();
    ctx_ = EVP_MAC_CTX_new(mac);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (ctx_ == nullptr || EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()),
                                        key.size(), params) != 1) {
      return nullptr;
    }
    key_ = std::string(key);
    return ctx_;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string key_;
};

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
  // A keyed HMAC context per thread, for the last key used (callers use one secret): the one-shot
  // HMAC() looks SHA-256 up and keys a new context on every call, which cost more than the MAC.
  thread_local HmacContext cached;
  EVP_MAC_CTX* ctx = cached.For(key);
  size_t len = 0;
  if (ctx != nullptr &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, out, &len, sizeof(out)) == 1) {
    return std::string(reinterpret_cast<const char*>(out), len);
  }
  unsigned int one_shot_len = 0;  // no HMAC provider (or an empty key): the one-shot form
  HMAC(Sha256Md(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &one_shot_len);
  return std::string(reinterpret_cast<const char*>(out), one_shot_len);
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
