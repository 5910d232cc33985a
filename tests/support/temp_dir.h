// A directory under the test temp dir that is removed, with everything in it, when it goes away.
#pragma once

#include <filesystem>
#include <string>

namespace leadflow::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "leadflow-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }
  // Leaves the directory in place when it goes away (logs and data kept for a look afterwards).
  void Keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// Writes `content` to `path` (creating parents); aborts the test binary on failure.
void WriteFile(const std::filesystem::path& path, const std::string& content);

}  // namespace leadflow::testing
