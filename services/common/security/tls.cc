#include "services/common/security/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <vector>

#include "services/common/base/files.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/log/log.h"

namespace leadflow::security {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no PEM data";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

BioPtr MemBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate in a PEM text, in order.
absl::StatusOr<std::vector<X509*>> ParseCertificates(const std::string& setting,
                                                     const std::string& path,
                                                     const std::string& pem) {
  std::vector<X509*> out;
  BioPtr bio = MemBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.push_back(cert);
  ERR_clear_error();  // the end of the data reads as an error
  if (out.empty()) {
    return absl::InvalidArgumentError(
        StrCat(setting, ": ", path, ": no PEM certificate (expected -----BEGIN CERTIFICATE-----)"));
  }
  return out;
}

}  // namespace

struct TlsMaterial {
  std::string cert_pem, key_pem, ca_pem;  // what was loaded, to see a change
  X509* leaf = nullptr;
  STACK_OF(X509) * chain = nullptr;  // the intermediates after the leaf
  EVP_PKEY* key = nullptr;
  X509_STORE* client_store = nullptr;
  STACK_OF(X509_NAME) * client_ca_names = nullptr;

  TlsMaterial() = default;
  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;
  ~TlsMaterial() {
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    X509_STORE_free(client_store);
    sk_X509_NAME_pop_free(client_ca_names, X509_NAME_free);
  }

  static absl::StatusOr<std::unique_ptr<TlsMaterial>> Load(const TlsOptions& o) {
    auto m = std::make_unique<TlsMaterial>();
    LF_ASSIGN_OR_RETURN(m->cert_pem, ReadFileToString("tls.cert_file", o.cert_file));
    LF_ASSIGN_OR_RETURN(m->key_pem, ReadFileToString("tls.key_file", o.key_file));
    LF_ASSIGN_OR_RETURN(std::vector<X509*> certs,
                        ParseCertificates("tls.cert_file", o.cert_file, m->cert_pem));
    m->leaf = certs[0];
    m->chain = sk_X509_new_null();
    for (size_t i = 1; i < certs.size(); ++i) sk_X509_push(m->chain, certs[i]);
    {
      BioPtr bio = MemBio(m->key_pem);
      // A callback that gives no password: an encrypted key fails instead of prompting on a
      // terminal (which would block a handshake thread during a reload).
      m->key = PEM_read_bio_PrivateKey(
          bio.get(), nullptr, [](char*, int, int, void*) { return -1; }, nullptr);
      if (m->key == nullptr) {
        return absl::InvalidArgumentError(StrCat("tls.key_file: ", o.key_file,
                                                 ": no unencrypted PEM private key (",
                                                 OpenSslError(), ")"));
      }
    }
    if (X509_check_private_key(m->leaf, m->key) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(StrCat("tls.key_file: ", o.key_file,
                                               ": does not match the certificate in "
                                               "tls.cert_file (",
                                               o.cert_file, ")"));
    }
    if (!o.client_ca_file.empty()) {
      LF_ASSIGN_OR_RETURN(m->ca_pem, ReadFileToString("tls.client_ca_file", o.client_ca_file));
      LF_ASSIGN_OR_RETURN(std::vector<X509*> cas,
                          ParseCertificates("tls.client_ca_file", o.client_ca_file, m->ca_pem));
      m->client_store = X509_STORE_new();
      m->client_ca_names = sk_X509_NAME_new_null();
      for (X509* ca : cas) {
        X509_STORE_add_cert(m->client_store, ca);
        sk_X509_NAME_push(m->client_ca_names, X509_NAME_dup(X509_get_subject_name(ca)));
        X509_free(ca);
      }
    }
    return m;
  }
};

absl::Status CheckTlsFiles(const TlsOptions& options) {
  return TlsMaterial::Load(options).status();
}

ReloadingCertificates::ReloadingCertificates(TlsOptions options) : options_(std::move(options)) {}
ReloadingCertificates::~ReloadingCertificates() = default;

absl::StatusOr<std::unique_ptr<ReloadingCertificates>> ReloadingCertificates::Create(
    TlsOptions options) {
  LF_ASSIGN_OR_RETURN(std::unique_ptr<TlsMaterial> first, TlsMaterial::Load(options));
  std::unique_ptr<ReloadingCertificates> out(new ReloadingCertificates(std::move(options)));
  out->current_ = std::move(first);
  out->next_check_ = std::chrono::steady_clock::now() + out->options_.reload_interval;
  return out;
}

bool ReloadingCertificates::ConfigureServerContext(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return false;
  // No session tickets or cache: a resumed session would skip the client-certificate check of a
  // rotated CA. The session id context makes client verification with TLS 1.2 well-formed.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION |
                               SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  static constexpr unsigned char kContext[] = "leadflow";
  if (SSL_CTX_set_session_id_context(ctx, kContext, sizeof(kContext) - 1) != 1) return false;
  SSL_CTX_set_cert_cb(ctx, &ReloadingCertificates::CertCallback, this);
  switch (options_.client_auth) {
    case ClientAuth::kNone:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kOptional:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequire:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  return true;
}

std::shared_ptr<const TlsMaterial> ReloadingCertificates::Current() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::chrono::steady_clock::now() < next_check_) return current_;
  }
  ReloadIfChanged();
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

bool ReloadingCertificates::ReloadIfChanged() {
  std::shared_ptr<const TlsMaterial> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_check_ = std::chrono::steady_clock::now() + options_.reload_interval;
    old = current_;
  }
  // Cheap when nothing changed: three small reads and compares.
  absl::StatusOr<std::string> cert = ReadFileToString("tls.cert_file", options_.cert_file);
  absl::StatusOr<std::string> key = ReadFileToString("tls.key_file", options_.key_file);
  absl::StatusOr<std::string> ca =
      options_.client_ca_file.empty()
          ? absl::StatusOr<std::string>(std::string())
          : ReadFileToString("tls.client_ca_file", options_.client_ca_file);
  if (cert.ok() && key.ok() && ca.ok() && *cert == old->cert_pem && *key == old->key_pem &&
      *ca == old->ca_pem) {
    return false;
  }
  absl::StatusOr<std::unique_ptr<TlsMaterial>> fresh = TlsMaterial::Load(options_);
  if (!fresh.ok()) {
    // Mid-rotation (the key written before the certificate) or broken: keep serving the old.
    log::Warn("tls: the changed certificate files do not load; still serving the previous ones",
              {{"error", std::string(fresh.status().message())}});
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(*fresh);
  ++reloads_;
  log::Info("tls: certificate files reloaded", {{"cert_file", options_.cert_file}});
  return true;
}

int ReloadingCertificates::reloads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reloads_;
}

int ReloadingCertificates::CertCallback(SSL* ssl, void* arg) {
  auto* self = static_cast<ReloadingCertificates*>(arg);
  std::shared_ptr<const TlsMaterial> m = self->Current();
  // The SSL keeps its own references to what it is given, so a later reload cannot free them
  // under a handshake in progress.
  if (SSL_use_cert_and_key(ssl, m->leaf, m->key, m->chain, 1) != 1) return 0;
  if (m->client_store != nullptr) {
    if (SSL_set1_verify_cert_store(ssl, m->client_store) != 1) return 0;
    STACK_OF(X509_NAME)* names = SSL_dup_CA_list(m->client_ca_names);
    if (names == nullptr) return 0;
    SSL_set_client_CA_list(ssl, names);
  }
  return 1;
}

}  // namespace leadflow::security
