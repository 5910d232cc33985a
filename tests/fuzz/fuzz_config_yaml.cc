// Fuzz target: the configuration files' loaders (YAML → proto by reflection, then each kind's
// validation) on hostile text: the ICP, the stage model, the nurture tracks. A broken file must
// come back as an InvalidArgument/NotFound naming where, never crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "services/common/lifecycle/nurture_config.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/qualification/icp_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The loaders read files: give them one in memory.
  static const int fd = memfd_create("leadflow-fuzz.yaml", 0);
  if (fd < 0) __builtin_trap();
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    __builtin_trap();
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto check = [](const absl::Status& s) {
    if (!s.ok() && s.message().empty()) __builtin_trap();
  };
  check(leadflow::qualification::LoadIcpFile(path).status());
  check(leadflow::lifecycle::LoadStageModelFile(path).status());
  check(leadflow::lifecycle::LoadNurtureFile(path).status());
  return 0;
}
