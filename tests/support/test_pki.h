// A throwaway PKI for tests of TLS: scripts/dev-pki.sh run into a directory (a CA, a server
// certificate for localhost/127.0.0.1, a client certificate), its file names, and helpers for
// bearer tokens (a static tokens file) — so TLS and auth tests use real certificates and files.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace leadflow::testing {

class TestPki {
 public:
  // Creates the files in `dir` (gtest assertion on failure: wrap in ASSERT_NO_FATAL_FAILURE).
  explicit TestPki(std::string dir);
  void Create();

  const std::string& dir() const { return dir_; }
  std::string ca() const { return dir_ + "/ca.pem"; }
  std::string server_cert() const { return dir_ + "/server.pem"; }
  std::string server_key() const { return dir_ + "/server-key.pem"; }
  std::string client_cert() const { return dir_ + "/client.pem"; }
  std::string client_key() const { return dir_ + "/client-key.pem"; }

 private:
  std::string dir_;
};

// Writes an auth.tokens_file at `path`: one token per entry of `roles_by_token` (token → role
// names), named "t<i>", stored as its SHA-256.
void WriteTokensFile(const std::string& path,
                     const std::map<std::string, std::vector<std::string>>& roles_by_token);

}  // namespace leadflow::testing
