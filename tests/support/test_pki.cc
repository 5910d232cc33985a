#include "tests/support/test_pki.h"

#include <openssl/evp.h>

#include <fstream>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "tests/support/child_process.h"

namespace leadflow::testing {

TestPki::TestPki(std::string dir) : dir_(std::move(dir)) {}

void TestPki::Create() {
  ChildProcess pki({"/bin/bash", StrCat(LEADFLOW_SOURCE_DIR, "/scripts/dev-pki.sh"), dir_},
                   dir_ + ".log");
  ASSERT_EQ(pki.Wait(120), 0) << "scripts/dev-pki.sh failed; see " << dir_ << ".log";
}

void WriteTokensFile(const std::string& path,
                     const std::map<std::string, std::vector<std::string>>& roles_by_token) {
  std::ofstream out(path);
  out << "tokens:\n";
  int i = 0;
  for (const auto& [token, roles] : roles_by_token) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned int b = 0; b < len; ++b) hex += fmt::format("{:02x}", digest[b]);
    out << "  - name: t" << i++ << "\n    sha256: " << hex << "\n    roles: [";
    for (size_t r = 0; r < roles.size(); ++r) out << (r ? ", " : "") << roles[r];
    out << "]\n";
  }
  ASSERT_TRUE(out.good()) << path;
}

}  // namespace leadflow::testing
