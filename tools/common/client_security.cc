#include "tools/common/client_security.h"

#include <httplib.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"
#include "services/common/base/files.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/config/settings.h"

namespace leadflow::local {

absl::StatusOr<ClientSecurity> ClientSecurity::FromEnv(
    const std::map<std::string, std::string>* env) {
  std::map<std::string, std::string> process;
  if (env == nullptr) {
    process = config::InputsFromProcess(0, nullptr).env;  // the LEADFLOW_* variables
    env = &process;
  }
  auto get = [env](const char* name) {
    auto it = env->find(name);
    return it == env->end() ? std::string() : it->second;
  };
  ClientSecurity out;
  out.ca_file = get("LEADFLOW_CA_FILE");
  out.cert_file = get("LEADFLOW_CLIENT_CERT_FILE");
  out.key_file = get("LEADFLOW_CLIENT_KEY_FILE");
  out.token = get("LEADFLOW_TOKEN");
  out.server_name = get("LEADFLOW_SERVER_NAME");
  if (const std::string file = get("LEADFLOW_TOKEN_FILE"); !file.empty() && out.token.empty()) {
    LF_RETURN_IF_ERROR(out.ReadTokenFile(file));
  }
  LF_RETURN_IF_ERROR(out.Check());
  return out;
}

absl::Status ClientSecurity::ReadTokenFile(const std::string& path) {
  LF_ASSIGN_OR_RETURN(std::string text, ReadFileToString("token file", path));
  token = std::string(absl::StripAsciiWhitespace(text.substr(0, text.find('\n'))));
  if (token.empty()) return absl::InvalidArgumentError(StrCat("token file: ", path, ": empty"));
  return absl::OkStatus();
}

absl::Status ClientSecurity::Check() const {
  if (plaintext()) {
    if (!token.empty() || !cert_file.empty()) {
      return absl::InvalidArgumentError(
          "a token or client certificate needs TLS: set LEADFLOW_CA_FILE (--ca-file) to the CA "
          "that signed the services' certificates");
    }
    return absl::OkStatus();
  }
  LF_RETURN_IF_ERROR(ReadFileToString("CA file", ca_file).status());
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both its cert and key files");
  }
  if (!cert_file.empty()) {
    LF_RETURN_IF_ERROR(ReadFileToString("client certificate", cert_file).status());
    LF_RETURN_IF_ERROR(ReadFileToString("client key", key_file).status());
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ChannelCredentials> ClientSecurity::GrpcCredentials() const {
  if (plaintext()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  // Never empty: gRPC would fall back to the public roots (Check() read the file before).
  ssl.pem_root_certs = ReadFileToString("CA file", ca_file).value_or("unreadable CA file");
  if (!cert_file.empty()) {
    ssl.pem_cert_chain = ReadFileToString("client certificate", cert_file).value_or("");
    ssl.pem_private_key = ReadFileToString("client key", key_file).value_or("");
  }
  std::shared_ptr<grpc::ChannelCredentials> channel = grpc::SslCredentials(ssl);
  if (token.empty()) return channel;
  return grpc::CompositeChannelCredentials(channel, grpc::AccessTokenCredentials(token));
}

std::shared_ptr<grpc::Channel> ClientSecurity::Channel(const std::string& address) const {
  grpc::ChannelArguments args;
  if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
  return grpc::CreateCustomChannel(address, GrpcCredentials(), args);
}

std::unique_ptr<httplib::Client> ClientSecurity::HttpClient(const std::string& host,
                                                            int port) const {
  if (plaintext()) return std::make_unique<httplib::Client>(host, port);
  const std::string url = StrCat("https://", host, ":", port);
  auto client = cert_file.empty() ? std::make_unique<httplib::Client>(url)
                                  : std::make_unique<httplib::Client>(url, cert_file, key_file);
  client->set_ca_cert_path(ca_file.c_str());
  client->enable_server_certificate_verification(true);
  if (!token.empty()) client->set_bearer_token_auth(token.c_str());
  return client;
}

}  // namespace leadflow::local
