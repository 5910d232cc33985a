// Searches the files a service leaves on disk for a value (erasure tests): every regular file
// under a directory as raw bytes, and every RocksDB table file (*.sst) also decoded — its blocks
// may be compressed, so a raw search alone could miss a value that is there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace leadflow::testing {

// The files under `path` (recursively; or `path` itself, a file) that contain `needle`: "path" for
// a raw match,
// "path (decoded key)" / "path (decoded value)" for a match in a table file's entries. A table
// file RocksDB cannot read is reported as "path (unreadable: why)", so it never passes unseen.
std::vector<std::string> FilesContaining(const std::string& path, std::string_view needle);

}  // namespace leadflow::testing
