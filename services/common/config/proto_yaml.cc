#include "services/common/config/proto_yaml.h"

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <charconv>
#include <cmath>
#include <map>

#include "services/common/base/strings.h"
#include "services/common/config/settings.h"
#include "services/common/config/yaml_file.h"

namespace leadflow::config {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The enum's common prefix ("FIT_GRADE_" of FitGrade).
std::string EnumPrefix(const EnumDescriptor* e) {
  std::string prefix;
  for (char c : e->name()) {
    if (c >= 'A' && c <= 'Z' && !prefix.empty()) prefix.push_back('_');
    prefix.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
  }
  return prefix + "_";
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  absl::Status Fail(const YAML::Node& node, const std::string& path, std::string_view why) const {
    return absl::InvalidArgumentError(
        StrCat(Where(file_, node), ": ", path.empty() ? "(top)" : path, ": ", why));
  }

  absl::Status ReadMessage(const YAML::Node& node, const std::string& path, Message* m) const {
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsMap()) return Fail(node, path, "expected a mapping of fields");
    const Descriptor* d = m->GetDescriptor();
    // Well-known types written as scalars.
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      const FieldDescriptor* f = d->FindFieldByName(key);
      const std::string field_path = path.empty() ? key : StrCat(path, ".", key);
      if (f == nullptr) {
        std::string known;
        for (int i = 0; i < d->field_count(); ++i)
          StrAppend(&known, i == 0 ? "" : ", ", d->field(i)->name());
        return Fail(it->first, field_path,
                    StrCat("unknown field (fields of ", d->name(), ": ", known, ")"));
      }
      if (absl::Status s = ReadField(it->second, field_path, m, f); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status ReadField(const YAML::Node& node, const std::string& path, Message* m,
                         const FieldDescriptor* f) const {
    if (f->is_map()) {
      if (!node.IsMap()) return Fail(node, path, "expected a mapping");
      const Descriptor* entry = f->message_type();
      for (auto it = node.begin(); it != node.end(); ++it) {
        Message* e = m->GetReflection()->AddMessage(m, f);
        const std::string key_path = StrCat(path, "[", it->first.as<std::string>(), "]");
        if (absl::Status s = SetScalar(it->first, key_path, e, entry->map_key()); !s.ok()) return s;
        if (absl::Status s = SetValue(it->second, key_path, e, entry->map_value()); !s.ok())
          return s;
      }
      return absl::OkStatus();
    }
    if (f->is_repeated()) {
      if (!node.IsSequence()) return Fail(node, path, "expected a list");
      for (size_t i = 0; i < node.size(); ++i) {
        if (absl::Status s = SetValue(node[i], StrCat(path, "[", i, "]"), m, f); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    return SetValue(node, path, m, f);
  }

  // One value: a message (nested or well-known) or a scalar; appended when `f` is repeated.
  absl::Status SetValue(const YAML::Node& node, const std::string& path, Message* m,
                        const FieldDescriptor* f) const {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return SetScalar(node, path, m, f);
    const Reflection* r = m->GetReflection();
    Message* sub = f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f);
    const std::string& type = f->message_type()->full_name();
    if (type == "google.protobuf.Duration") {
      if (!node.IsScalar()) return Fail(node, path, "expected a duration like 90s, 4h or 14d");
      auto d = ParseDuration(node.as<std::string>());
      if (!d.ok()) return Fail(node, path, ToStd(d.status().message()));
      auto* out = static_cast<google::protobuf::Duration*>(sub);
      *out = google::protobuf::util::TimeUtil::MillisecondsToDuration(d->count());
      return absl::OkStatus();
    }
    if (type == "google.protobuf.Timestamp") {
      if (!node.IsScalar() ||
          !google::protobuf::util::TimeUtil::FromString(
              node.as<std::string>(), static_cast<google::protobuf::Timestamp*>(sub))) {
        return Fail(node, path, "expected an RFC 3339 time like 2026-01-31T00:00:00Z");
      }
      return absl::OkStatus();
    }
    return ReadMessage(node, path, sub);
  }

  absl::Status SetScalar(const YAML::Node& node, const std::string& path, Message* m,
                         const FieldDescriptor* f) const {
    if (!node.IsScalar()) return Fail(node, path, "expected a single value");
    const std::string text = node.as<std::string>();
    const Reflection* r = m->GetReflection();
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        rep ? r->AddString(m, f, text) : r->SetString(m, f, text);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool v = false;
        if (!YAML::convert<bool>::decode(node, v))
          return Fail(node, path, StrCat("expected true or false, got '", text, "'"));
        rep ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double v = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
          return Fail(node, path, StrCat("expected a number, got '", text, "'"));
        }
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          rep ? r->AddFloat(m, f, static_cast<float>(v)) : r->SetFloat(m, f, static_cast<float>(v));
        } else {
          rep ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        int64_t v = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || ptr != text.data() + text.size()) {
          return Fail(node, path, StrCat("expected a whole number, got '", text, "'"));
        }
        const bool is32 = f->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                          f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32;
        const bool is_unsigned = f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
                                 f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
        if ((is32 && (v > INT32_MAX || v < INT32_MIN)) || (is_unsigned && v < 0)) {
          return Fail(node, path, StrCat("out of range: ", text));
        }
        switch (f->cpp_type()) {
          case FieldDescriptor::CPPTYPE_INT32:
            rep ? r->AddInt32(m, f, static_cast<int32_t>(v))
                : r->SetInt32(m, f, static_cast<int32_t>(v));
            break;
          case FieldDescriptor::CPPTYPE_UINT32:
            rep ? r->AddUInt32(m, f, static_cast<uint32_t>(v))
                : r->SetUInt32(m, f, static_cast<uint32_t>(v));
            break;
          case FieldDescriptor::CPPTYPE_UINT64:
            rep ? r->AddUInt64(m, f, static_cast<uint64_t>(v))
                : r->SetUInt64(m, f, static_cast<uint64_t>(v));
            break;
          default:
            rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumValueDescriptor* v = FindEnumValueByShortName(f->enum_type(), text);
        if (v == nullptr) {
          return Fail(
              node, path,
              StrCat("unknown value '", text, "' (one of: ", EnumChoices(f->enum_type()), ")"));
        }
        rep ? r->AddEnum(m, f, v) : r->SetEnum(m, f, v);
        return absl::OkStatus();
      }
      default:
        return Fail(node, path, "unsupported field type");
    }
  }

  static std::string EnumChoices(const EnumDescriptor* e) {
    const std::string prefix = EnumPrefix(e);
    std::string out;
    for (int i = 0; i < e->value_count(); ++i) {
      if (e->value(i)->number() == 0) continue;
      std::string name = e->value(i)->name();
      if (StartsWith(name, prefix)) name = name.substr(prefix.size());
      StrAppend(&out, out.empty() ? "" : ", ", AsciiStrToLower(name));
    }
    return out;
  }

  std::string file_;
};

}  // namespace

const google::protobuf::EnumValueDescriptor* FindEnumValueByShortName(
    const google::protobuf::EnumDescriptor* e, std::string_view text) {
  // Upper case; every run of characters other than letters and digits becomes one '_'.
  std::string name;
  for (char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) {
      name.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
    } else if (!name.empty() && name.back() != '_') {
      name.push_back('_');
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  const EnumValueDescriptor* v = e->FindValueByName(name);
  if (v == nullptr) v = e->FindValueByName(EnumPrefix(e) + name);
  if (v != nullptr && v->number() == 0) return nullptr;  // *_UNSPECIFIED is never a choice
  return v;
}

absl::Status YamlToProto(const YAML::Node& node, const std::string& file,
                         google::protobuf::Message* message) {
  return Reader(file).ReadMessage(node, "", message);
}

std::string LocateField(const YAML::Node& root, const std::string& file, std::string_view path) {
  YAML::Node node = root;  // yaml-cpp nodes are handles; reassigning one would rebind, not copy
  YAML::Node found = root;
  size_t pos = 0;
  while (pos < path.size()) {
    const size_t end = std::min(path.find_first_of(".[", pos), path.size());
    const std::string key(path.substr(pos, end - pos));
    pos = end;
    YAML::Node next;
    const YAML::Node& current = node;  // const lookups never insert
    if (!key.empty()) {
      if (!current.IsMap() || !current[key]) break;
      next.reset(current[key]);
    } else if (pos < path.size() && path[pos] == '[') {
      const size_t close = path.find(']', pos);
      if (close == std::string_view::npos) break;
      const std::string index(path.substr(pos + 1, close - pos - 1));
      pos = close + 1;
      if (current.IsSequence()) {
        size_t i = 0;
        auto [p, ec] = std::from_chars(index.data(), index.data() + index.size(), i);
        if (ec != std::errc() || i >= current.size()) break;
        next.reset(current[i]);
      } else if (current.IsMap() && current[index]) {
        next.reset(current[index]);
      } else {
        break;
      }
    } else {
      ++pos;  // a '.'
      continue;
    }
    node.reset(next);
    found.reset(next);
  }
  return Where(file, found);
}

absl::Status LoadProtoYamlFile(const std::string& path, google::protobuf::Message* message) {
  absl::StatusOr<YAML::Node> node = LoadYamlFile(path);
  if (!node.ok()) return node.status();
  return YamlToProto(*node, path, message);
}

absl::Status LoadValidatedYamlFile(const std::string& path, google::protobuf::Message* message,
                                   const std::function<std::vector<ConfigViolation>()>& validate) {
  absl::StatusOr<YAML::Node> root = LoadYamlFile(path);
  if (!root.ok()) return root.status();
  if (absl::Status s = YamlToProto(*root, path, message); !s.ok()) return s;
  std::string errors;
  for (const ConfigViolation& v : validate()) {
    StrAppend(&errors, errors.empty() ? "" : "\n", LocateField(*root, path, v.path), ": ", v.path,
              ": ", v.why);
  }
  return errors.empty() ? absl::OkStatus() : absl::InvalidArgumentError(errors);
}

}  // namespace leadflow::config
