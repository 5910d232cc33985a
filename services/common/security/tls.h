// Transport security of the service endpoints: TLS (and mutual TLS) for the gRPC and HTTP servers,
// from PEM files that are re-read when they change (a rotated Kubernetes Secret or cert-manager
// renewal is picked up without a restart). Plaintext only when asked for explicitly.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace leadflow::security {

struct TlsMaterial;  // parsed certificate, key and client CAs (tls.cc)

// Whether a client must present a certificate signed by tls.client_ca_file.
enum class ClientAuth {
  kNone,      // no client certificates (no tls.client_ca_file)
  kOptional,  // asked for and verified when presented (probes and token clients need none)
  kRequire,   // mutual TLS: the handshake fails without a valid client certificate
};

struct TlsOptions {
  bool plaintext = false;      // no TLS at all (local use; the service warns at start)
  std::string cert_file;       // server certificate chain, PEM (leaf first)
  std::string key_file;        // its private key, PEM
  std::string client_ca_file;  // CAs for client certificates, PEM; empty: no mTLS
  ClientAuth client_auth = ClientAuth::kNone;
  std::chrono::seconds reload_interval{60};  // how often the files are checked for a change
};

// Loads and checks the PEM files of `options`: the chain parses, the key parses and matches the
// leaf, the client CAs parse. Errors name the setting and the file ("tls.key_file: /x/key.pem:
// does not match the certificate in tls.cert_file").
absl::Status CheckTlsFiles(const TlsOptions& options);

// The server side of TLS for HTTP (OpenSSL): configures an SSL_CTX whose certificate, key and
// client CAs are taken per handshake from the latest good version of the files, re-read at most
// every reload_interval when their contents changed. A rotation that leaves broken files keeps
// the previous material and logs the error.
class ReloadingCertificates {
 public:
  // Loads the files once (CheckTlsFiles' errors).
  static absl::StatusOr<std::unique_ptr<ReloadingCertificates>> Create(TlsOptions options);
  ~ReloadingCertificates();

  // Sets up `ctx` (TLS 1.2+, the certificate callback, client verification). The object must
  // outlive the context.
  bool ConfigureServerContext(SSL_CTX* ctx);

  // Re-reads the files now if they changed (also called by the handshake callback when due).
  // Returns true when new material was loaded.
  bool ReloadIfChanged();
  // How many times new material was loaded after the first (for tests and the log).
  int reloads() const;

 private:
  explicit ReloadingCertificates(TlsOptions options);
  static int CertCallback(SSL* ssl, void* self);
  std::shared_ptr<const TlsMaterial> Current();

  const TlsOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const TlsMaterial> current_;
  std::chrono::steady_clock::time_point next_check_;
  int reloads_ = 0;
};

}  // namespace leadflow::security
