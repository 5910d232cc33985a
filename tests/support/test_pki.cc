#include "tests/support/test_pki.h"

#include <fstream>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/common/events/ids.h"
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
    out << "  - name: t" << i++ << "\n    sha256: " << events::HexEncode(events::Sha256(token))
        << "\n    roles: [";
    for (size_t r = 0; r < roles.size(); ++r) out << (r ? ", " : "") << roles[r];
    out << "]\n";
  }
  ASSERT_TRUE(out.good()) << path;
}

}  // namespace leadflow::testing
