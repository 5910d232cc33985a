// Deterministic sample messages built by protobuf reflection, so every field of every event is
// exercised without hand-maintaining a sample per type.
#include "tests/support/golden_events.h"

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/feedback.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace leadflow::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kMaxDepth = 4;

// The oneof that carries a type's payload (the one samples vary over), or null.
const google::protobuf::OneofDescriptor* PayloadOneof(const Descriptor* d) {
  for (const char* name : {"event", "action", "config"}) {
    if (const auto* o = d->FindOneofByName(name); o != nullptr) return o;
  }
  return nullptr;
}

void SetScalar(Message* m, const FieldDescriptor* f, int salt) {
  const Reflection* r = m->GetReflection();
  const int n = f->number() + salt;
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      rep ? r->AddInt32(m, f, n) : r->SetInt32(m, f, n);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      rep ? r->AddInt64(m, f, 1700000000LL + n) : r->SetInt64(m, f, 1700000000LL + n);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      rep ? r->AddUInt32(m, f, n) : r->SetUInt32(m, f, n);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      rep ? r->AddUInt64(m, f, n) : r->SetUInt64(m, f, n);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      rep ? r->AddDouble(m, f, n + 0.25) : r->SetDouble(m, f, n + 0.25);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      rep ? r->AddFloat(m, f, n + 0.5f) : r->SetFloat(m, f, n + 0.5f);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      rep ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      // The last declared value: never the _UNSPECIFIED zero, so it is really on the wire.
      const auto* e = f->enum_type();
      const int v = e->value(e->value_count() - 1)->number();
      rep ? r->AddEnumValue(m, f, v) : r->SetEnumValue(m, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string v = StrCat(f->name(), "-", n);
      rep ? r->AddString(m, f, v) : r->SetString(m, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      LF_CHECK(false, "messages are filled by Fill");
  }
}

void Fill(Message* m, int depth, const std::string& oneof_member) {
  const Descriptor* d = m->GetDescriptor();
  const Reflection* r = m->GetReflection();
  const auto* payload = PayloadOneof(d);
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const auto* oneof = f->real_containing_oneof();
    if (oneof != nullptr) {
      if (oneof == payload && !oneof_member.empty()) {
        if (f->name() != oneof_member) continue;
      } else if (oneof->field(0) != f) {
        continue;  // other oneofs: their first member
      }
    }
    if (f->is_map()) {
      Message* entry = r->AddMessage(m, f);
      Fill(entry, depth + 1, "");
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (depth >= kMaxDepth) continue;
      if (f->is_repeated()) {
        Fill(r->AddMessage(m, f), depth + 1, "");
      } else {
        Fill(r->MutableMessage(m, f), depth + 1, "");
      }
      continue;
    }
    SetScalar(m, f, depth);
  }
}

}  // namespace

std::unique_ptr<Message> NewMessage(const std::string& full_name) {
  const Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
  if (d == nullptr) return nullptr;
  const Message* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(d);
  return std::unique_ptr<Message>(prototype->New());
}

void FillSample(Message* message, const std::string& oneof_member) {
  Fill(message, 0, oneof_member);
}

std::vector<GoldenSample> AllGoldenSamples() {
  std::vector<GoldenSample> out;
  auto add_members = [&](const Descriptor* d, const std::string& stem) {
    const auto* payload = PayloadOneof(d);
    LF_CHECK(payload != nullptr, "type has no payload oneof");
    for (int i = 0; i < payload->field_count(); ++i) {
      const std::string member(payload->field(i)->name());
      out.push_back({StrCat(stem, ".", member, ".binpb"), std::string(d->full_name()), member});
    }
  };
  add_members(v1::LeadEvent::descriptor(), "lead_event");
  add_members(v1::SalesFeedback::descriptor(), "sales_feedback");
  add_members(v1::ConfigRecord::descriptor(), "config_record");
  for (const Descriptor* d : {v1::LeadSubmission::descriptor(), v1::AccountRecord::descriptor(),
                              v1::DeadLetter::descriptor()}) {
    std::string stem;
    for (char c : std::string(d->name())) {
      if (std::isupper(static_cast<unsigned char>(c)) && !stem.empty()) stem.push_back('_');
      stem.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    out.push_back({StrCat(stem, ".binpb"), std::string(d->full_name()), ""});
  }
  return out;
}

}  // namespace leadflow::testing
