#include "tools/demo/driver.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <thread>

#include "absl/strings/str_split.h"
#include "leadflow/v1/handoff_service.grpc.pb.h"
#include "leadflow/v1/intake_service.grpc.pb.h"
#include "leadflow/v1/reporting_service.grpc.pb.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/kafka/producer.h"
#include "tools/leadflowctl/csv_import.h"
#include "tools/leadflowctl/sales_cmds.h"

namespace leadflow::demo {

using Clock = std::chrono::system_clock;
using events::MillisFromTimestamp;

namespace {

constexpr std::chrono::seconds kCallDeadline{30};

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(Clock::now() + kCallDeadline);
  return ctx;
}

std::string Describe(const grpc::Status& s) {
  return StrCat(s.error_code(), " ", s.error_message());
}

std::string Violations(const v1::SubmissionResult& r) {
  std::string out;
  for (const v1::FieldViolation& v : r.violations()) {
    out += StrCat(out.empty() ? "" : "; ", v.field(), ": ", v.description());
  }
  return out;
}

// Counts an intake answer; a refusal is an error naming the lead.
absl::Status Count(const v1::SubmissionResult& r, const std::string& what, FeedResult* out) {
  switch (r.outcome()) {
    case v1::SUBMISSION_OUTCOME_ACCEPTED:
      ++out->accepted;
      return absl::OkStatus();
    case v1::SUBMISSION_OUTCOME_DUPLICATE:
      ++out->duplicates;
      return absl::OkStatus();
    default:
      return absl::InternalError(StrCat(what, " was not admitted: ", Violations(r)));
  }
}

v1::RecordEngagementRequest EngagementRequest(const DemoLead& lead, size_t k) {
  v1::RecordEngagementRequest r;
  r.set_idempotency_key(StrCat(lead.submission.idempotency_key(), "-activity-", k));
  r.set_source_system(lead.submission.source_system());
  r.set_email(lead.submission.person().email());
  *r.mutable_engagement() = lead.engagements[k];
  return r;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(m, &json).ok()) return "{}";
  return json;
}

absl::StatusOr<v1::SubmissionResult> PostJson(httplib::Client& http, const std::string& path,
                                              const std::string& body) {
  httplib::Result res = http.Post(path, body, "application/json");
  if (!res)
    return absl::UnavailableError(StrCat("POST ", path, ": ", httplib::to_string(res.error())));
  if (res->status == 503 || res->status == 504) {
    return absl::UnavailableError(StrCat("POST ", path, ": HTTP ", res->status, " ", res->body));
  }
  // 202 new, 200 a repeat: the SubmissionResult; 400 names the fields.
  v1::SubmissionResult parsed;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (res->status >= 300 ||
      !google::protobuf::util::JsonStringToMessage(res->body, &parsed, options).ok()) {
    return absl::InternalError(StrCat("POST ", path, ": HTTP ", res->status, " ", res->body));
  }
  return parsed;
}

const grpc::Status& StatusOf(const grpc::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

bool Retriable(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}
bool Retriable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s);
}

// How a feed retries: where it counts the repeats, and when to give up early.
struct Retry {
  int64_t* count = nullptr;
  const Cancelled* cancelled = nullptr;
  bool stop() const { return cancelled != nullptr && *cancelled && (*cancelled)(); }
  // A growing pause before repeat `attempt` (1-based), cut short when cancelled.
  void Pause(int attempt) const {
    const auto until = Clock::now() + std::chrono::milliseconds(100 * std::min(attempt, 20));
    while (Clock::now() < until && !stop()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
};

// Repeats `call` (the same request, so the same idempotency key) while it cannot be answered, with
// a growing pause, for at most kRetryFor or until cancelled; counts the repeats.
template <typename Call>
auto Retrying(const Retry& retry, Call&& call) -> decltype(call()) {
  const auto deadline = Clock::now() + kRetryFor;
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (Retriable(StatusOf(result)) && Clock::now() < deadline && !retry.stop()) {
      ++*retry.count;
      retry.Pause(attempt);
      continue;
    }
    return result;
  }
}

// Writes `records` to the raw topic with an idempotent producer and waits until Kafka has
// acknowledged each. A producer that fails for good (e.g. after the broker restarted) is replaced,
// and the records it did not deliver are sent again — at least once: the submissions' idempotency
// keys make intake recognise a record that arrives twice.
absl::Status ProduceRaw(const std::vector<kafka::OutgoingRecord>& records,
                        const Endpoints& endpoints, const Retry& retry) {
  kafka::Properties properties = endpoints.kafka;
  properties["bootstrap.servers"] = endpoints.bootstrap;
  properties["enable.idempotence"] = "true";
  auto delivered = std::make_unique<std::atomic<bool>[]>(records.size());
  const auto deadline = Clock::now() + kRetryFor;
  for (int round = 0;; ++round) {
    absl::StatusOr<std::unique_ptr<kafka::Producer>> producer = kafka::Producer::Create(properties);
    if (!producer.ok()) return producer.status();
    absl::Status s = absl::OkStatus();
    for (size_t i = 0; i < records.size() && s.ok(); ++i) {
      if (delivered[i].load()) continue;
      if (round > 0) ++*retry.count;
      s = (*producer)->ProduceOrWait(records[i], [&delivered, i](const kafka::DeliveryReport& r) {
        if (r.status.ok()) delivered[i].store(true);
      });
    }
    if (s.ok()) s = (*producer)->Flush(std::chrono::minutes(2));
    size_t missing = 0;
    for (size_t i = 0; i < records.size(); ++i) missing += delivered[i].load() ? 0 : 1;
    if (missing == 0) return absl::OkStatus();
    if (Clock::now() > deadline || retry.stop()) {
      return absl::UnavailableError(StrCat(missing, " raw records not acknowledged after ",
                                           round + 1, " producers: ", s.message()));
    }
    retry.Pause(round + 1);
    // The producer is destroyed here; its undelivered records are dropped and sent again.
  }
}

}  // namespace

v1::LeadSubmission ActivityAsSubmission(const DemoLead& lead, size_t k) {
  v1::LeadSubmission s;
  s.set_idempotency_key(StrCat(lead.submission.idempotency_key(), "-activity-", k));
  s.set_source_system(lead.submission.source_system());
  *s.mutable_occurred_at() = lead.engagements[k].occurred_at();
  s.mutable_person()->set_email(lead.submission.person().email());
  *s.mutable_engagement() = lead.engagements[k];
  return s;
}

absl::StatusOr<FeedResult> FeedLeads(const DemoDataSet& set, const Endpoints& endpoints,
                                     const std::string& work_dir, const Log& log,
                                     const Cancelled& cancelled) {
  FeedResult result;
  const Retry retry{&result.retries, &cancelled};
  auto intake = v1::IntakeService::NewStub(endpoints.security.Channel(endpoints.intake_grpc));
  const size_t colon = endpoints.intake_http.rfind(':');
  std::unique_ptr<httplib::Client> http_client = endpoints.security.HttpClient(
      endpoints.intake_http.substr(0, colon), std::stoi(endpoints.intake_http.substr(colon + 1)));
  httplib::Client& http = *http_client;
  http.set_read_timeout(kCallDeadline);
  std::vector<const DemoLead*> by_way[5];
  for (const DemoLead& lead : set.leads) by_way[static_cast<int>(lead.way_in)].push_back(&lead);

  // 1. The captures, way by way.
  int64_t grpc_repeats = 0;
  for (const DemoLead* lead : by_way[static_cast<int>(WayIn::kGrpc)]) {
    v1::SubmitLeadRequest req;
    *req.mutable_submission() = lead->submission;
    v1::SubmitLeadResponse resp;
    const int64_t retries_before = result.retries;
    const grpc::Status s = Retrying(retry, [&] {
      resp.Clear();
      return intake->SubmitLead(Context().get(), req, &resp);
    });
    if (!s.ok()) return absl::UnavailableError(StrCat("SubmitLead: ", Describe(s)));
    LF_RETURN_IF_ERROR(Count(resp.result(), StrCat("lead ", lead->index), &result));
    // A repeat answering a retry may be this run's own first attempt, whose answer was lost.
    grpc_repeats += resp.result().outcome() == v1::SUBMISSION_OUTCOME_DUPLICATE &&
                            result.retries == retries_before
                        ? 1
                        : 0;
  }
  result.loaded_before =
      grpc_repeats > 0 &&
      grpc_repeats == static_cast<int64_t>(by_way[static_cast<int>(WayIn::kGrpc)].size());
  {
    const std::vector<const DemoLead*>& leads = by_way[static_cast<int>(WayIn::kGrpcStream)];
    v1::StreamLeadsResponse resp;
    // A stream that failed is sent again whole: what it had admitted comes back as repeats.
    const grpc::Status s = Retrying(retry, [&] {
      auto ctx = std::make_unique<grpc::ClientContext>();
      ctx->set_deadline(Clock::now() + std::chrono::minutes(5));
      resp.Clear();
      auto writer = intake->StreamLeads(ctx.get(), &resp);
      for (const DemoLead* lead : leads) {
        v1::StreamLeadsRequest req;
        *req.mutable_submission() = lead->submission;
        if (!writer->Write(req)) break;
      }
      writer->WritesDone();
      return writer->Finish();
    });
    if (!s.ok()) return absl::UnavailableError(StrCat("StreamLeads: ", Describe(s)));
    for (const v1::SubmissionResult& r : resp.not_accepted()) {
      if (r.outcome() != v1::SUBMISSION_OUTCOME_DUPLICATE) {
        return absl::InternalError(StrCat("StreamLeads item ", r.index(), ": ", Violations(r)));
      }
    }
    result.accepted += resp.accepted();
    result.duplicates += resp.duplicates();
    if (resp.accepted() + resp.duplicates() != static_cast<int64_t>(leads.size())) {
      return absl::InternalError(StrCat("StreamLeads acknowledged ", resp.accepted(), " + ",
                                        resp.duplicates(), " of ", leads.size()));
    }
  }
  for (const DemoLead* lead : by_way[static_cast<int>(WayIn::kHttp)]) {
    // The webhook shape: one LeadSubmission in the protobuf JSON mapping.
    LF_ASSIGN_OR_RETURN(v1::SubmissionResult r, Retrying(retry, [&] {
                          return PostJson(http, "/v1/leads", ToJson(lead->submission));
                        }));
    LF_RETURN_IF_ERROR(Count(r, StrCat("lead ", lead->index), &result));
  }
  if (!by_way[static_cast<int>(WayIn::kRawTopic)].empty()) {
    // Keyed by email: a person's records stay in order.
    std::vector<kafka::OutgoingRecord> records;
    for (const DemoLead* lead : by_way[static_cast<int>(WayIn::kRawTopic)]) {
      const std::string& email = lead->submission.person().email();
      records.push_back(
          {endpoints.raw_topic, std::nullopt, email, lead->submission.SerializeAsString(), {}});
      for (size_t k = 0; k < lead->engagements.size(); ++k) {
        records.push_back({endpoints.raw_topic,
                           std::nullopt,
                           email,
                           ActivityAsSubmission(*lead, k).SerializeAsString(),
                           {}});
      }
    }
    LF_RETURN_IF_ERROR(ProduceRaw(records, endpoints, retry));
    result.produced += static_cast<int64_t>(records.size());
  }
  if (const auto& leads = by_way[static_cast<int>(WayIn::kCsv)]; !leads.empty()) {
    // A trade-show badge export, imported with `leadflowctl import`'s code.
    const std::string file = work_dir + "/tradeshow-badges-" + set.options.tag + ".csv";
    std::ofstream out(file, std::ios::trunc);
    out << "Email,First Name,Last Name,Title,Company,Domain,Industry,Employees,Company Country,"
           "Country,Channel,Campaign,Date,External ID\n";
    for (const DemoLead* lead : leads) {
      const v1::LeadSubmission& s = lead->submission;
      const std::vector<std::string> fields = {
          s.person().email(),
          s.person().first_name(),
          s.person().last_name(),
          s.person().job_title(),
          s.company().name(),
          s.company().domain(),
          s.company().industry(),
          s.company().employee_count() == 0 ? "" : std::to_string(s.company().employee_count()),
          s.company().country_code(),
          s.person().country_code(),
          "event",
          s.source().campaign_id(),
          google::protobuf::util::TimeUtil::ToString(s.occurred_at()),
          s.external_id()};
      out << ctl::CsvLine(fields);
    }
    out.close();
    if (!out) return absl::InternalError("cannot write " + file);
    ctl::ImportOptions o;
    o.file = file;
    o.intake_address = endpoints.intake_grpc;
    o.security = endpoints.security;
    o.source_system = "tradeshow-scanner";
    o.rejected_file = file + ".rejected.csv";
    o.progress = false;
    LF_ASSIGN_OR_RETURN(ctl::ImportSummary summary,
                        Retrying(retry, [&] { return ctl::RunImport(o); }));
    if (summary.rejected != 0) {
      return absl::InternalError(
          StrCat("the CSV import rejected ", summary.rejected, " rows; see ", o.rejected_file));
    }
    result.accepted += summary.accepted;
    result.duplicates += summary.duplicates;
  }
  log(StrCat("captured ", set.leads.size(), " leads (", result.accepted, " acknowledged new, ",
             result.duplicates, " repeats, ", result.produced, " raw records)"));

  // 2. The activities, after their lead's capture was acknowledged (or, on the raw topic, after
  // it in the same partition).
  int64_t activities = 0;
  for (const DemoLead& lead : set.leads) {
    for (size_t k = 0; k < lead.engagements.size(); ++k) {
      switch (lead.way_in) {
        case WayIn::kRawTopic:
          continue;  // sent above
        case WayIn::kGrpc:
        case WayIn::kCsv: {
          v1::RecordEngagementResponse resp;
          const v1::RecordEngagementRequest req = EngagementRequest(lead, k);
          const grpc::Status s = Retrying(retry, [&] {
            resp.Clear();
            return intake->RecordEngagement(Context().get(), req, &resp);
          });
          if (!s.ok()) return absl::UnavailableError(StrCat("RecordEngagement: ", Describe(s)));
          LF_RETURN_IF_ERROR(
              Count(resp.result(), StrCat("activity of lead ", lead.index), &result));
          break;
        }
        case WayIn::kGrpcStream:
        case WayIn::kHttp: {
          const std::string body = ToJson(EngagementRequest(lead, k));
          LF_ASSIGN_OR_RETURN(v1::SubmissionResult r, Retrying(retry, [&] {
                                return PostJson(http, "/v1/engagements", body);
                              }));
          LF_RETURN_IF_ERROR(Count(r, StrCat("activity of lead ", lead.index), &result));
          break;
        }
      }
      ++activities;
    }
  }
  log(StrCat("recorded ", activities,
             " activities through the API (raw-topic leads' went with them)"));
  return result;
}

// --- SalesDesk ---

struct SalesDesk::Work {
  const DemoLead* lead = nullptr;
  std::string lead_id;
  std::string owner;
  std::string queue;
};

struct SalesDesk::WatchState {
  std::mutex mu;
  grpc::ClientContext* context = nullptr;  // the live call, to cancel
  std::condition_variable cv;
};

SalesDesk::SalesDesk(const DemoDataSet& set, Endpoints endpoints, v1::RoutingConfig routing,
                     Log log)
    : set_(set),
      endpoints_(std::move(endpoints)),
      routing_(std::move(routing)),
      log_(std::move(log)),
      watch_(std::make_unique<WatchState>()) {
  SetHandoffReplicas(endpoints_.handoff_grpc);
  for (const DemoLead& lead : set_.leads) {
    by_email_[AsciiStrToLower(lead.submission.person().email())] = &lead;
  }
}

SalesDesk::~SalesDesk() { Stop(); }

void SalesDesk::SetHandoffReplicas(const std::string& addresses) {
  const std::vector<std::string> list = absl::StrSplit(addresses, ',', absl::SkipEmpty());
  std::vector<std::shared_ptr<v1::HandoffService::Stub>> stubs;
  for (const std::string& address : list) {
    stubs.push_back(v1::HandoffService::NewStub(endpoints_.security.Channel(address)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  handoff_ = std::move(stubs);
}

std::vector<std::shared_ptr<v1::HandoffService::Stub>> SalesDesk::Replicas() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handoff_;
}

absl::Status SalesDesk::Start(Clock::time_point since, int workers) {
  if (Replicas().empty()) {
    return absl::InvalidArgumentError("handoff: no address (Endpoints::handoff_grpc is empty)");
  }
  threads_.emplace_back([this, since] { Watch(since); });
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Worker(); });
  // `since` positions the subscription by record time, so events produced before the stream
  // opens are not missed (a failed subscription is retried in Watch with the same start).
  return absl::OkStatus();
}

void SalesDesk::Watch(Clock::time_point since) {
  std::string token;
  // Each subscription through the next replica: any of them serves the whole topic.
  for (size_t attempt = 0; !stopping_.load(); ++attempt) {
    grpc::ClientContext ctx;
    {
      std::lock_guard<std::mutex> lock(watch_->mu);
      if (stopping_.load()) return;
      watch_->context = &ctx;
    }
    v1::WatchHandoffsRequest req;
    // Resumes after the last event seen; the first time from `since`.
    if (!token.empty()) {
      req.set_resume_token(token);
    } else {
      *req.mutable_since() = events::TimestampFromMillis(
          std::chrono::duration_cast<std::chrono::milliseconds>(since.time_since_epoch()).count());
    }
    const std::vector<std::shared_ptr<v1::HandoffService::Stub>> replicas = Replicas();
    auto reader = replicas[attempt % replicas.size()]->WatchHandoffs(&ctx, req);
    v1::WatchHandoffsResponse resp;
    while (reader->Read(&resp)) {
      token = resp.resume_token();
      const v1::LeadEvent& e = resp.event();
      if (!e.has_handed_off()) continue;
      const auto it = by_email_.find(AsciiStrToLower(e.handed_off().person().email()));
      std::lock_guard<std::mutex> lock(mu_);
      ++handoffs_[e.envelope().lead_id()];
      if (it == by_email_.end()) continue;  // not ours (another data set in the same Kafka)
      if (handoffs_[e.envelope().lead_id()] > 1) continue;  // answered once already
      auto work = std::make_unique<Work>();
      work->lead = it->second;
      work->lead_id = e.envelope().lead_id();
      work->owner = e.handed_off().owner_rep_id();
      work->queue = e.handed_off().queue();
      queue_.push_back(std::move(work));
      ++pending_;
      ++seen_;
      watch_->cv.notify_all();
    }
    const grpc::Status s = reader->Finish();
    {
      std::lock_guard<std::mutex> lock(watch_->mu);
      watch_->context = nullptr;
    }
    if (stopping_.load()) return;
    log_(StrCat("WatchHandoffs ended (", Describe(s), "); resubscribing"));
    std::unique_lock<std::mutex> lock(watch_->mu);
    watch_->cv.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
  }
}

void SalesDesk::Worker() {
  while (!stopping_.load()) {
    std::unique_ptr<Work> work;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!queue_.empty()) {
        work = std::move(queue_.front());
        queue_.erase(queue_.begin());
      }
    }
    if (!work) {
      std::unique_lock<std::mutex> lock(watch_->mu);
      watch_->cv.wait_for(lock, std::chrono::milliseconds(50), [this] { return stopping_.load(); });
      continue;
    }
    const absl::Status s = Answer(*work);
    std::lock_guard<std::mutex> lock(mu_);
    if (!s.ok()) errors_.push_back(StrCat("lead ", work->lead->index, ": ", s.ToString()));
    --pending_;
  }
}

absl::Status SalesDesk::Answer(const Work& work) {
  const SalesPlan& plan = work.lead->plan;
  if (plan.answer == SalesPlan::Answer::kNone) return absl::OkStatus();
  // The owner, or (a handoff waiting in its queue) the first active rep who works that queue.
  std::string rep = work.owner;
  if (rep.empty()) {
    for (const v1::Rep& r : routing_.reps()) {
      if (r.active() &&
          std::find(r.queues().begin(), r.queues().end(), work.queue) != r.queues().end()) {
        rep = r.rep_id();
        break;
      }
    }
    if (rep.empty()) return absl::FailedPreconditionError("nobody works queue " + work.queue);
  }
  const std::string key = StrCat(work.lead->submission.idempotency_key(), "-sales-");
  ctl::FeedbackArgs f;
  f.lead_id = work.lead_id;
  f.rep_id = rep;
  f.source_system = "demo-sales-tool";

  // One call, retried with the same idempotency key while the answer cannot be known yet
  // (UNAVAILABLE, DEADLINE_EXCEEDED) — a retry of an applied answer returns DUPLICATE. Each retry
  // goes to the next replica: the one that answered UNAVAILABLE may be down, or may not run the
  // lead's partition.
  auto call = [&](const std::string& what, auto&& rpc) -> absl::Status {
    const auto start = Clock::now();
    const auto deadline = start + kRetryFor;
    grpc::Status s;
    size_t replica = last_good_.load();  // this call's own position in the list
    size_t last_asked = 0;
    int attempt = 0;
    for (;; ++attempt) {
      const std::vector<std::shared_ptr<v1::HandoffService::Stub>> replicas = Replicas();
      last_asked = replica % replicas.size();
      s = rpc(replicas[last_asked].get());
      if (Retriable(s)) ++replica;
      if (s.ok()) {
        last_good_.store(replica % replicas.size());
        answered_.fetch_add(1);
        return absl::OkStatus();
      }
      if (!Retriable(s) || Clock::now() > deadline || stopping_.load()) break;
      std::unique_lock<std::mutex> lock(watch_->mu);
      watch_->cv.wait_for(lock, std::chrono::milliseconds(200 * std::min(attempt + 1, 10)),
                          [this] { return stopping_.load(); });
    }
    // How long it tried and whom it asked last: a refusal that outlives every retry is a finding.
    return absl::InternalError(
        StrCat(what, ": ", Describe(s), " (", attempt + 1, " attempts over ",
               std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count(),
               " s; the last to replica ", last_asked, " of the list)"));
  };

  if (plan.answer == SalesPlan::Answer::kReject) {
    ctl::RejectArgs args;
    args.feedback = f;
    args.reason = v1::RejectionReason_Name(plan.reject_reason);
    args.text = plan.reject_text;
    LF_ASSIGN_OR_RETURN(v1::RejectLeadRequest req,
                        ctl::BuildRejectRequest(args, key + "reject", Clock::now()));
    return call("reject", [&](v1::HandoffService::Stub* handoff) {
      v1::RejectLeadResponse resp;
      return handoff->RejectLead(Context().get(), req, &resp);
    });
  }
  {
    LF_ASSIGN_OR_RETURN(v1::AcceptLeadRequest req,
                        ctl::BuildAcceptRequest(f, key + "accept", Clock::now()));
    LF_RETURN_IF_ERROR(call("accept", [&](v1::HandoffService::Stub* handoff) {
      v1::AcceptLeadResponse resp;
      return handoff->AcceptLead(Context().get(), req, &resp);
    }));
  }
  if (!plan.convert) return absl::OkStatus();
  {
    ctl::ConvertArgs args;
    args.feedback = f;
    args.need = args.budget = args.authority = args.timeline = true;
    LF_ASSIGN_OR_RETURN(v1::ConvertLeadRequest req,
                        ctl::BuildConvertRequest(args, key + "convert", Clock::now()));
    LF_RETURN_IF_ERROR(call("convert", [&](v1::HandoffService::Stub* handoff) {
      v1::ConvertLeadResponse resp;
      return handoff->ConvertLead(Context().get(), req, &resp);
    }));
  }
  if (!plan.open) return absl::OkStatus();
  const std::string amount = std::to_string(plan.amount_micros / 1'000'000);
  {
    ctl::OpportunityArgs args;
    args.feedback = f;
    args.opportunity_id = plan.opportunity_id;
    args.amount = amount;
    args.currency = "EUR";
    args.products = plan.products;
    LF_ASSIGN_OR_RETURN(v1::RecordOpportunityRequest req,
                        ctl::BuildOpportunityRequest(args, key + "open", Clock::now()));
    LF_RETURN_IF_ERROR(call("open", [&](v1::HandoffService::Stub* handoff) {
      v1::RecordOpportunityResponse resp;
      return handoff->RecordOpportunity(Context().get(), req, &resp);
    }));
  }
  if (plan.close == SalesPlan::Close::kNone) return absl::OkStatus();
  ctl::OpportunityArgs args;
  args.feedback = f;
  args.outcome = plan.close == SalesPlan::Close::kWon ? "won" : "lost";
  args.opportunity_id = plan.opportunity_id;
  args.amount = amount;
  args.currency = "EUR";
  args.products = plan.products;
  args.reason = plan.close_reason;
  args.competitor = plan.competitor;
  LF_ASSIGN_OR_RETURN(v1::RecordOpportunityRequest req,
                      ctl::BuildOpportunityRequest(args, key + "close", Clock::now()));
  return call("close", [&](v1::HandoffService::Stub* handoff) {
    v1::RecordOpportunityResponse resp;
    return handoff->RecordOpportunity(Context().get(), req, &resp);
  });
}

absl::Status SalesDesk::AwaitDone(int64_t expected_handoffs, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int64_t seen = 0, pending = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = seen_;
      pending = pending_;
      if (!errors_.empty()) return absl::InternalError(errors_.front());
    }
    if (seen >= expected_handoffs && pending == 0) return absl::OkStatus();
    if (Clock::now() > deadline) {
      return absl::DeadlineExceededError(StrCat("after ", timeout.count() / 1000, " s: ", seen,
                                                " of ", expected_handoffs, " handoffs seen, ",
                                                pending, " answers pending"));
    }
    std::unique_lock<std::mutex> lock(watch_->mu);
    watch_->cv.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_.load(); });
  }
}

void SalesDesk::Stop() {
  {
    std::lock_guard<std::mutex> lock(watch_->mu);
    stopping_.store(true);
    if (watch_->context != nullptr) watch_->context->TryCancel();
  }
  watch_->cv.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::map<std::string, int> SalesDesk::handoffs_per_lead() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handoffs_;
}

std::vector<std::string> SalesDesk::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

// --- reports ---

absl::StatusOr<Reports> FetchReports(const Endpoints& endpoints) {
  auto reporting =
      v1::ReportingService::NewStub(endpoints.security.Channel(endpoints.reporting_grpc));
  Reports r;
  {
    v1::GetFunnelRequest req;
    req.set_mode(v1::FUNNEL_MODE_COHORT);
    const grpc::Status s = reporting->GetFunnel(Context().get(), req, &r.funnel);
    if (!s.ok()) return absl::UnavailableError("GetFunnel: " + Describe(s));
  }
  {
    v1::GetSourceQualityRequest req;
    req.mutable_query()->add_group_by(v1::REPORT_DIMENSION_CHANNEL);
    const grpc::Status s = reporting->GetSourceQuality(Context().get(), req, &r.quality);
    if (!s.ok()) return absl::UnavailableError("GetSourceQuality: " + Describe(s));
  }
  {
    v1::GetWinLossRequest req;
    const grpc::Status s = reporting->GetWinLoss(Context().get(), req, &r.winloss);
    if (!s.ok()) return absl::UnavailableError("GetWinLoss: " + Describe(s));
  }
  return r;
}

std::vector<std::string> CompareReports(const GroundTruth& truth, const Reports& reports) {
  std::vector<std::string> out = CompareFunnel(truth, reports.funnel);
  for (std::string& d : CompareQuality(truth, reports.quality)) out.push_back(std::move(d));
  for (std::string& d : CompareWinLoss(truth, reports.winloss)) out.push_back(std::move(d));
  return out;
}

absl::Status AwaitTruth(const GroundTruth& truth, const Endpoints& endpoints,
                        std::chrono::milliseconds timeout, const Log& log) {
  const auto deadline = Clock::now() + timeout;
  std::vector<std::string> last;
  std::string last_error;
  std::mutex mu;
  std::condition_variable cv;
  while (Clock::now() < deadline) {
    absl::StatusOr<Reports> reports = FetchReports(endpoints);
    if (reports.ok()) {
      last = CompareReports(truth, *reports);
      if (last.empty()) return absl::OkStatus();
    } else {
      last_error = reports.status().ToString();
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(500));
  }
  std::string text =
      StrCat("the reports did not reach the ground truth in ", timeout.count() / 1000, " s");
  if (!last_error.empty()) text += "; last error: " + last_error;
  for (const std::string& d : last) text += "\n  " + d;
  log(text);
  return absl::DeadlineExceededError(text);
}

}  // namespace leadflow::demo
