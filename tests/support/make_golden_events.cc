// Writes the stored samples in tests/data/events/ that do not exist yet. It never overwrites one:
// an existing sample is bytes an older build wrote, and must stay as it was to mean anything.
//   build/tests/make_golden_events tests/data/events
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/support/golden_events.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR   (e.g. tests/data/events)\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int written = 0;
  for (const auto& sample : leadflow::testing::AllGoldenSamples()) {
    const auto path = dir / sample.file_name;
    if (std::filesystem::exists(path)) continue;
    auto message = leadflow::testing::NewMessage(sample.message_type);
    if (message == nullptr) {
      std::fprintf(stderr, "unknown type %s\n", sample.message_type.c_str());
      return 1;
    }
    leadflow::testing::FillSample(message.get(), sample.oneof_member);
    std::string bytes;
    if (!message->SerializeToString(&bytes)) return 1;
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    if (!out.good()) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
    std::printf("wrote %s (%zu bytes)\n", path.c_str(), bytes.size());
    ++written;
  }
  std::printf("%d new sample(s)\n", written);
  return 0;
}
