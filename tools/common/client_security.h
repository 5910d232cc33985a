// How leadflow's own clients (leadflowctl, leadflow-demo, leadflow-bench, the tests) reach a
// service: plaintext for a local run, or TLS that trusts a CA file, with an optional client
// certificate (mutual TLS) and an optional bearer token, for gRPC and HTTP alike.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class Channel;
class ChannelCredentials;
}  // namespace grpc
namespace httplib {
class Client;
}

namespace leadflow::local {

struct ClientSecurity {
  std::string ca_file;    // PEM CAs to trust; empty: plaintext
  std::string cert_file;  // client certificate for mutual TLS (PEM), optional
  std::string key_file;   // its key
  std::string token;      // bearer token, optional (sent only over TLS)
  // The name to expect in the server certificate when it differs from the address's host.
  std::string server_name;

  bool plaintext() const { return ca_file.empty(); }

  // From the environment: LEADFLOW_CA_FILE, LEADFLOW_CLIENT_CERT_FILE, LEADFLOW_CLIENT_KEY_FILE,
  // LEADFLOW_TOKEN (or LEADFLOW_TOKEN_FILE), LEADFLOW_SERVER_NAME. `env` defaults to the process's.
  static absl::StatusOr<ClientSecurity> FromEnv(
      const std::map<std::string, std::string>* env = nullptr);
  // Reads a token file (the first line, trimmed) into `token`.
  absl::Status ReadTokenFile(const std::string& path);

  // Checks that the files exist and read (errors name the file).
  absl::Status Check() const;

  std::shared_ptr<grpc::ChannelCredentials> GrpcCredentials() const;
  std::shared_ptr<grpc::Channel> Channel(const std::string& address) const;
  // An HTTP(S) client for host:port with the CA, client certificate and token set.
  std::unique_ptr<httplib::Client> HttpClient(const std::string& host, int port) const;
};

}  // namespace leadflow::local
