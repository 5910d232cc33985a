#include "tools/leadflowctl/config_cmd.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <utility>

#include "services/common/base/strings.h"
#include "services/common/config/config_topic.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/sender.h"
#include "services/common/lifecycle/comp.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/handoff/routing.h"
#include "services/handoff/sla.h"
#include "services/qualification/icp_config.h"
#include "services/recycle/nurture.h"
#include "tools/leadflowctl/topic_reader.h"

namespace leadflow::ctl {
namespace {

using config::ConfigKind;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<std::map<std::string, v1::ConfigRecord>> LoadConfigDir(const std::string& dir) {
  std::map<std::string, v1::ConfigRecord> out;
  std::string errors;
  // File name → how to load it into its member of the record.
  const std::vector<
      std::pair<std::string, std::function<absl::Status(const std::string&, v1::ConfigRecord*)>>>
      kinds = {
          {"icp.yaml",
           [](const std::string& path, v1::ConfigRecord* r) {
             absl::StatusOr<v1::IcpConfig> icp = qualification::LoadIcpFile(path);
             if (icp.ok()) *r->mutable_icp() = std::move(*icp);
             return icp.status();
           }},
          {"stages.yaml",
           [](const std::string& path, v1::ConfigRecord* r) {
             absl::StatusOr<v1::StageModel> model = lifecycle::LoadStageModelFile(path);
             if (model.ok()) *r->mutable_stage_model() = std::move(*model);
             return model.status();
           }},
          {"sla.yaml",
           [](const std::string& path, v1::ConfigRecord* r) {
             absl::StatusOr<v1::SlaConfig> sla = handoff::LoadSlaFile(path);
             if (sla.ok()) *r->mutable_sla() = std::move(*sla);
             return sla.status();
           }},
          {"routing.yaml",
           [](const std::string& path, v1::ConfigRecord* r) {
             absl::StatusOr<v1::RoutingConfig> routing = handoff::LoadRoutingFile(path);
             if (routing.ok()) *r->mutable_routing() = std::move(*routing);
             return routing.status();
           }},
          {"nurture.yaml",
           [](const std::string& path, v1::ConfigRecord* r) {
             absl::StatusOr<v1::NurtureConfig> nurture = recycle::LoadNurtureFile(path);
             if (nurture.ok()) *r->mutable_nurture() = std::move(*nurture);
             return nurture.status();
           }},
          {"comp.yaml",
           [](const std::string& path, v1::ConfigRecord* r) {
             absl::StatusOr<v1::CompSummary> comp = lifecycle::LoadCompFile(path);
             if (comp.ok()) *r->mutable_comp_summary() = std::move(*comp);
             return comp.status();
           }},
      };
  for (const auto& [file, load] : kinds) {
    const std::filesystem::path path = std::filesystem::path(dir) / file;
    if (!std::filesystem::exists(path)) continue;
    v1::ConfigRecord record;
    if (absl::Status s = load(path.string(), &record); !s.ok()) {
      StrAppend(&errors, errors.empty() ? "" : "\n", s.message());
    } else {
      out[file] = std::move(record);
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(errors);
  if (out.empty())
    return absl::NotFoundError(StrCat(dir, ": no config files (expected icp.yaml, stages.yaml)"));
  return out;
}

std::string ContentHash(const v1::ConfigRecord& record) {
  v1::ConfigRecord payload = record;
  payload.clear_version();
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  payload.SerializeToCodedStream(&coded);
  coded.Trim();
  return StrCat("sha256:", events::HexEncode(events::Sha256(bytes)));
}

absl::StatusOr<std::map<std::string, v1::ConfigRecord>> ReadPublished(
    const kafka::Properties& connection, const std::string& topic,
    std::chrono::milliseconds timeout) {
  auto consumer = ReaderConsumer(connection);
  if (!consumer.ok()) return consumer.status();
  std::map<std::string, v1::ConfigRecord> latest;
  // The config topic has one partition (one total order of versions), read from the beginning.
  absl::Status read =
      ReadToEnd(**consumer, {{topic, 0, -2}}, timeout, [&](const kafka::ConsumedRecord& r) {
        if (r.is_tombstone()) {
          latest.erase(std::string(r.key()));
          return;
        }
        v1::ConfigRecord record;
        if (record.ParseFromArray(r.value().data(), static_cast<int>(r.value().size()))) {
          latest[std::string(r.key())] = std::move(record);
        }
      });
  if (!read.ok()) return read;
  return latest;
}

absl::StatusOr<ApplyResult> ApplyConfig(const kafka::Properties& connection,
                                        const std::string& topic, const std::string& dir,
                                        const std::string& comment,
                                        std::chrono::milliseconds timeout) {
  absl::StatusOr<std::map<std::string, v1::ConfigRecord>> files = LoadConfigDir(dir);
  if (!files.ok()) return files.status();
  absl::StatusOr<std::map<std::string, v1::ConfigRecord>> published =
      ReadPublished(connection, topic, timeout);
  if (!published.ok()) return published.status();
  int64_t version = 0;
  for (const auto& [kind, record] : *published)
    version = std::max(version, record.version().version());

  auto sender = kafka::Sender::Create(connection);
  if (!sender.ok()) return sender.status();
  ApplyResult result;
  const char* user = std::getenv("USER");
  for (auto& [file, record] : *files) {
    const std::string kind = ConfigKind(record);
    const std::string hash = ContentHash(record);
    auto current = published->find(kind);
    if (current != published->end() && current->second.version().content_hash() == hash) {
      result.unchanged.push_back(StrCat(kind, " v", current->second.version().version()));
      continue;
    }
    v1::ConfigVersion& v = *record.mutable_version();
    v.set_version(++version);
    v.set_content_hash(hash);
    *v.mutable_published_at() = events::TimestampFromMillis(NowMs());
    v.set_published_by(StrCat("leadflowctl:", user != nullptr ? user : "unknown"));
    v.set_origin((std::filesystem::path(dir) / file).string());
    v.set_comment(comment);
    kafka::OutgoingRecord out{topic,
                              std::nullopt,
                              kind,
                              record.SerializeAsString(),
                              {{"leadflow-event-type", kind},
                               {"content-type", events::ProtobufContentType(
                                                    v1::ConfigRecord::descriptor()->full_name())}}};
    if (absl::Status s = (*sender)->Send(out, timeout); !s.ok()) return s;
    result.published.push_back(StrCat(kind, " v", version));
  }
  return result;
}

}  // namespace leadflow::ctl
