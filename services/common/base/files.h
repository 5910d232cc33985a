// Reading a whole small file (certificates, keys, token and secret files) with an error that says
// what the file is for: "tls.key_file: /etc/tls/tls.key: cannot be read".
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/common/base/strings.h"

namespace leadflow {

inline absl::StatusOr<std::string> ReadFileToString(std::string_view what,
                                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(StrCat(what, ": ", path, ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(StrCat(what, ": ", path, ": read failed"));
  return text.str();
}

}  // namespace leadflow
