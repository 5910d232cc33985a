// Drives a demo data set (generator.h) through a running leadflow, the way its users would:
//   - LeadFeeder: marketing systems. Every lead through its way in — gRPC SubmitLead, gRPC
//     StreamLeads, HTTP POST /v1/leads (a webhook), the raw Kafka topic, a CSV import (the
//     `leadflowctl import` code) — then its activities (gRPC RecordEngagement, HTTP
//     /v1/engagements, or the raw topic). Everything but the raw topic is acknowledged by intake.
//   - SalesDesk: a sales tool. Subscribes to WatchHandoffs and answers every handoff as the lead's
//     sales plan says (accept / reject with a reason / convert / open / close won or lost), as the
//     rep who owns it (or a rep of its queue), through the handoff API with the requests
//     `leadflowctl accept|reject|convert|open|close` builds.
//   - AwaitTruth: polls reporting until the funnel, source quality and win-loss equal the ground
//     truth (truth.h), or a deadline passes (then the last differences say what is off).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/handoff_service.grpc.pb.h"
#include "tools/common/client_security.h"
#include "tools/demo/generator.h"
#include "tools/demo/truth.h"

namespace leadflow::demo {

struct Endpoints {
  std::string intake_grpc = "127.0.0.1:50051";
  std::string intake_http = "127.0.0.1:8081";  // host:port
  // One address, or the replicas' addresses separated by commas: the desk answers through the
  // next one while one answers UNAVAILABLE (down, or not running the lead's partition).
  std::string handoff_grpc = "127.0.0.1:50053";
  std::string reporting_grpc = "127.0.0.1:50055";
  std::string bootstrap;  // Kafka, for the raw topic
  std::string raw_topic = "leadflow.intake.raw.v1";
  local::ClientSecurity security;            // TLS and token for the gRPC and HTTP calls
  std::map<std::string, std::string> kafka;  // more librdkafka properties (a secured broker)
};

using Log = std::function<void(const std::string&)>;

struct FeedResult {
  int64_t accepted = 0;    // acknowledged as new by intake (captures and activities)
  int64_t duplicates = 0;  // acknowledged as repeats (a data set driven twice)
  int64_t produced = 0;    // records written to the raw topic (not acknowledged by intake)
  // Every gRPC capture (fixed idempotency keys) came back a repeat: the data set ran here before.
  bool loaded_before = false;
  // Calls repeated because intake could not answer (UNAVAILABLE, DEADLINE_EXCEEDED, HTTP 503 or
  // no connection), with the same idempotency keys; a repeat of a call whose first answer was
  // lost is answered as a repeat. Raw records resent by a new producer after a fatal error.
  int64_t retries = 0;
};

// How long the feeder and the desk keep repeating a call that cannot be answered yet — as a
// marketing system's or a sales tool's outbox would — before they give up.
inline constexpr std::chrono::minutes kRetryFor{5};

// Activity `k` of `lead` as a submission of its own (the person's email and the engagement): what
// a marketing system's Kafka connector publishes on the raw topic.
v1::LeadSubmission ActivityAsSubmission(const DemoLead& lead, size_t k);

// Whether to give up early (e.g. the caller is shutting down); empty: never.
using Cancelled = std::function<bool()>;

// Sends every lead and activity. A lead intake refuses is an error naming it (the data set is
// valid by construction); `work_dir` receives the CSV file of the csv leads. A call that cannot be
// answered yet is repeated for up to kRetryFor, or until `cancelled`.
absl::StatusOr<FeedResult> FeedLeads(const DemoDataSet& set, const Endpoints& endpoints,
                                     const std::string& work_dir, const Log& log,
                                     const Cancelled& cancelled = {});

class SalesDesk {
 public:
  // `routing` names the reps of each queue (config/routing.yaml), for handoffs nobody owns.
  SalesDesk(const DemoDataSet& set, Endpoints endpoints, v1::RoutingConfig routing, Log log);
  ~SalesDesk();
  SalesDesk(const SalesDesk&) = delete;
  SalesDesk& operator=(const SalesDesk&) = delete;

  // Subscribes from `since` (record time: start it before the feed, and nothing the feed causes
  // is missed) and answers on `workers` threads.
  absl::Status Start(std::chrono::system_clock::time_point since, int workers = 4);
  // Replaces the handoff replicas' addresses (comma-separated, as Endpoints::handoff_grpc), e.g.
  // when a replica joins or leaves: calls from then on go to these.
  void SetHandoffReplicas(const std::string& addresses);
  // Waits until every handoff the truth expects arrived and every planned answer was given.
  absl::Status AwaitDone(int64_t expected_handoffs, std::chrono::milliseconds timeout);
  void Stop();

  // LeadHandedOff events seen per lead id (the subscriber's view: each should be 1).
  std::map<std::string, int> handoffs_per_lead() const;
  int64_t answered() const { return answered_.load(); }
  // Calls that failed for good (each with its reason).
  std::vector<std::string> errors() const;

 private:
  struct Work;
  void Watch(std::chrono::system_clock::time_point since);
  void Worker();
  absl::Status Answer(const Work& work);

  const DemoDataSet& set_;
  Endpoints endpoints_;
  v1::RoutingConfig routing_;
  Log log_;
  std::vector<std::shared_ptr<v1::HandoffService::Stub>> Replicas() const;

  // One stub per handoff replica, one channel each for every answer (guarded by mu_).
  std::vector<std::shared_ptr<v1::HandoffService::Stub>> handoff_;
  std::atomic<size_t> last_good_{0};  // the replica that answered last: a call starts there
  std::map<std::string, const DemoLead*> by_email_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> answered_{0};
  mutable std::mutex mu_;
  std::map<std::string, int> handoffs_;
  std::vector<std::unique_ptr<Work>> queue_;
  std::vector<std::string> errors_;
  int64_t pending_ = 0;  // queued or in progress
  int64_t seen_ = 0;     // handoffs of this data set's leads
  struct WatchState;
  std::unique_ptr<WatchState> watch_;
  std::vector<std::thread> threads_;
};

struct Reports {
  v1::GetFunnelResponse funnel;
  v1::GetSourceQualityResponse quality;
  v1::GetWinLossResponse winloss;
};
absl::StatusOr<Reports> FetchReports(const Endpoints& endpoints);
std::vector<std::string> CompareReports(const GroundTruth& truth, const Reports& reports);

// Polls until the reports equal the truth; on timeout the error lists the last differences.
absl::Status AwaitTruth(const GroundTruth& truth, const Endpoints& endpoints,
                        std::chrono::milliseconds timeout, const Log& log);

}  // namespace leadflow::demo
