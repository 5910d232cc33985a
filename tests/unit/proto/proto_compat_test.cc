// Wire compatibility of the event contracts: every stored sample in tests/data/events/ (bytes that
// an earlier build wrote) still parses into the current schema with nothing unknown, carries the
// payload its name says, and re-serializes to the very same bytes.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "tests/support/golden_events.h"

namespace leadflow::testing {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const std::filesystem::path kDir = LEADFLOW_GOLDEN_DIR;

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Paths of fields the parser did not recognise: a field number that was removed or reused.
void CollectUnknown(const Message& m, const std::string& path, std::vector<std::string>* out) {
  const auto* r = m.GetReflection();
  if (!r->GetUnknownFields(m).empty()) out->push_back(path.empty() ? "<root>" : path);
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string child =
        path.empty() ? std::string(f->name()) : path + "." + std::string(f->name());
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        CollectUnknown(r->GetRepeatedMessage(m, f, i), child, out);
      }
    } else {
      CollectUnknown(r->GetMessage(m, f), child, out);
    }
  }
}

std::string SetPayloadMember(const Message& m) {
  const auto* d = m.GetDescriptor();
  for (const char* name : {"event", "action", "config"}) {
    if (const auto* oneof = d->FindOneofByName(name); oneof != nullptr) {
      const FieldDescriptor* f = m.GetReflection()->GetOneofFieldDescriptor(m, oneof);
      return f == nullptr ? "<none>" : std::string(f->name());
    }
  }
  return "";
}

TEST(ProtoCompatTest, EveryEventTypeHasAStoredSample) {
  for (const GoldenSample& s : AllGoldenSamples()) {
    EXPECT_TRUE(std::filesystem::exists(kDir / s.file_name))
        << s.file_name << " is missing: a new event type needs its sample. Run "
        << "build/tests/make_golden_events tests/data/events and commit the new file.";
  }
}

TEST(ProtoCompatTest, StoredSamplesParseCompletelyAndRoundTripByteForByte) {
  std::map<std::string, GoldenSample> known;
  for (const GoldenSample& s : AllGoldenSamples()) known.emplace(s.file_name, s);
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    if (entry.path().extension() != ".binpb") continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto it = known.find(name);
    // A stored sample whose payload member or type no longer exists means a member was removed.
    ASSERT_NE(it, known.end()) << "stored sample for a type or oneof member the schema lost";
    auto message = NewMessage(it->second.message_type);
    ASSERT_NE(message, nullptr);
    const std::string bytes = ReadAll(entry.path());
    ASSERT_FALSE(bytes.empty());
    ASSERT_TRUE(message->ParseFromString(bytes));
    std::vector<std::string> unknown;
    CollectUnknown(*message, "", &unknown);
    EXPECT_THAT(unknown, ::testing::IsEmpty()) << "fields the schema no longer knows";
    EXPECT_EQ(SetPayloadMember(*message), it->second.oneof_member);
    std::string again;
    google::protobuf::io::StringOutputStream stream(&again);
    {
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      ASSERT_TRUE(message->SerializeToCodedStream(&coded));
    }
    EXPECT_EQ(again, bytes) << "a field changed type or encoding";
    ++checked;
  }
  EXPECT_GE(checked, static_cast<int>(known.size()));
}

TEST(ProtoCompatTest, SamplesAreDeterministic) {
  // The generator must give identical bytes for the same schema, or samples would churn.
  for (const GoldenSample& s : AllGoldenSamples()) {
    auto a = NewMessage(s.message_type);
    auto b = NewMessage(s.message_type);
    FillSample(a.get(), s.oneof_member);
    FillSample(b.get(), s.oneof_member);
    EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString()) << s.file_name;
    EXPECT_EQ(SetPayloadMember(*a), s.oneof_member) << s.file_name;
  }
}

}  // namespace
}  // namespace leadflow::testing
