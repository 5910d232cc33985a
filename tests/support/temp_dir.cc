// TempDir: mkdtemp under $TEST_TMPDIR (set by ctest runs) or the system temp dir.
#include "tests/support/temp_dir.h"

#include <cstdlib>
#include <fstream>
#include <system_error>
#include <vector>

#include "services/common/base/status_macros.h"

namespace leadflow::testing {

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path root = base != nullptr ? base : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(root);
  std::string pattern = (root / (prefix + "-XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  LF_CHECK(mkdtemp(buf.data()) != nullptr, "mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  LF_CHECK(out.good(), "writing a test file failed");
}

}  // namespace leadflow::testing
