#include "tests/support/state_files.h"

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

namespace leadflow::testing {
namespace {

void SearchTable(const std::filesystem::path& path, std::string_view needle,
                 std::vector<std::string>* hits) {
  rocksdb::Options options;
  rocksdb::SstFileReader reader(options);
  rocksdb::Status s = reader.Open(path.string());
  if (!s.ok()) {
    hits->push_back(path.string() + " (unreadable: " + s.ToString() + ")");
    return;
  }
  std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
  bool in_key = false;
  bool in_value = false;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    in_key = in_key || it->key().ToStringView().find(needle) != std::string_view::npos;
    in_value = in_value || it->value().ToStringView().find(needle) != std::string_view::npos;
  }
  if (!it->status().ok()) {
    hits->push_back(path.string() + " (unreadable: " + it->status().ToString() + ")");
  }
  if (in_key) hits->push_back(path.string() + " (decoded key)");
  if (in_value) hits->push_back(path.string() + " (decoded value)");
}

void SearchFile(const std::filesystem::path& path, std::string_view needle,
                std::vector<std::string>* hits) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.find(needle) != std::string::npos) hits->push_back(path.string());
  if (path.extension() == ".sst") SearchTable(path, needle, hits);
}

}  // namespace

std::vector<std::string> FilesContaining(const std::string& path, std::string_view needle) {
  std::vector<std::string> hits;
  if (std::filesystem::is_regular_file(path)) {
    SearchFile(path, needle, &hits);
    return hits;
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) SearchFile(entry.path(), needle, &hits);
  }
  return hits;
}

}  // namespace leadflow::testing
