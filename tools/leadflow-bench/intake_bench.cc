#include "tools/leadflow-bench/intake_bench.h"

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <google/protobuf/util/json_util.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "leadflow/v1/intake_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/http/http_server.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/producer.h"
#include "services/common/kafka/sender.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/stream/stream_app.h"
#include "services/intake/api.h"
#include "services/intake/processors.h"
#include "tools/leadflow-bench/bench_util.h"

namespace leadflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A realistic submission; `i` makes the person unique within a run.
v1::LeadSubmission MakeSubmission(const std::string& run, int i) {
  v1::LeadSubmission s;
  s.set_idempotency_key(StrCat(run, "-", i));
  s.set_source_system("bench");
  s.mutable_person()->set_email(StrCat("person", i, ".", run, "@company", i % 500, ".example"));
  s.mutable_person()->set_first_name("Alex");
  s.mutable_person()->set_last_name("Morgan");
  s.mutable_person()->set_job_title(i % 3 == 0 ? "VP Marketing" : "Senior Software Engineer");
  s.mutable_person()->set_country_code("Germany");
  s.mutable_person()->set_phone("030 1234567");
  s.mutable_company()->set_name(StrCat("Company ", i % 500));
  s.mutable_company()->set_employee_count(50 + i % 5000);
  s.mutable_source()->set_channel(v1::CHANNEL_PAID_SEARCH);
  s.mutable_source()->set_campaign_id(StrCat("campaign-", i % 20));
  if (i % 3 == 0) s.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_CONTENT_DOWNLOAD);
  return s;
}

std::string Fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

// The same API with nothing behind it: the transport's ceiling on this machine.
class NoopIntake final : public v1::IntakeService::Service {
 public:
  grpc::Status SubmitLead(grpc::ServerContext*, const v1::SubmitLeadRequest* r,
                          v1::SubmitLeadResponse* out) override {
    out->mutable_result()->set_idempotency_key(r->submission().idempotency_key());
    out->mutable_result()->set_outcome(v1::SUBMISSION_OUTCOME_ACCEPTED);
    return grpc::Status::OK;
  }
  grpc::Status StreamLeads(grpc::ServerContext*, grpc::ServerReader<v1::StreamLeadsRequest>* reader,
                           v1::StreamLeadsResponse* out) override {
    v1::StreamLeadsRequest m;
    while (reader->Read(&m)) out->set_accepted(out->accepted() + 1);
    return grpc::Status::OK;
  }
};

// Counts LeadEvents of `kind` ("captured", "admitted") on `topic` (read_committed) until `n` or
// the deadline; `last` is when the n-th was seen.
bool AwaitEvents(const std::string& bootstrap, const std::string& topic, int partitions, int n,
                 const std::string& kind, const std::atomic<bool>& abort, Clock::time_point* last) {
  auto consumer = kafka::Consumer::Create(
      {{"bootstrap.servers", bootstrap}, {"group.id", StrCat("bench-", WallMillis())}});
  if (!consumer.ok()) return false;
  std::vector<kafka::TopicPartitionOffset> all;
  for (int p = 0; p < partitions; ++p) all.push_back({topic, p, -2});
  if (!(*consumer)->Assign(all).ok()) return false;
  int seen = 0;
  const auto until = Clock::now() + std::chrono::minutes(10);
  while (seen < n && Clock::now() < until && !abort.load()) {
    auto polled = (*consumer)->Poll(std::chrono::milliseconds(100));
    if (!polled.ok() || !polled->has_value()) continue;
    v1::LeadEvent e;
    if (e.ParseFromArray((**polled).value().data(), static_cast<int>((**polled).value().size())) &&
        (kind == "captured" ? e.has_captured() : e.has_admitted())) {
      ++seen;
      *last = Clock::now();
    }
  }
  return seen >= n;
}

struct Row {
  std::string mode;
  std::string target;
  double leads_per_second = 0;
  double admitted_per_second = 0;  // LeadAdmitted visible on the admitted topic, intake only
  double captured_per_second = 0;  // end to end (LeadCaptured visible), intake only
  double p50_ms = 0;
  double p99_ms = 0;
  // CPU µs per lead over the mode (intake only): the two stream steps' processing threads, the
  // whole bench process (intake with its Kafka clients, and the load and the readers), the broker.
  double admission_us = 0;
  double identity_us = 0;
  double process_us = 0;
  double broker_us = 0;
};

// The intake under test, in this process: both stream steps, the core, gRPC and HTTP.
class IntakeUnderTest {
 public:
  IntakeUnderTest(const IntakeBenchOptions& o, const std::string& run) : run_(run) {
    raw_ = StrCat("bench-raw-", run);
    admitted_ = StrCat("bench-admitted-", run);
    leads_ = StrCat("bench-leads-", run);
    dlq_ = StrCat("bench-dlq-", run);
    auto admin = kafka::Admin::Create({{"bootstrap.servers", o.bootstrap}});
    ok_ = admin.ok() && (*admin)
                            ->CreateTopics({{raw_, o.partitions, 1, {}},
                                            {admitted_, o.partitions, 1, {}},
                                            {leads_, o.partitions, 1, {}},
                                            {dlq_, 1, 1, {}}},
                                           std::chrono::seconds(60))
                            .ok();
    const kafka::Properties kafka{{"bootstrap.servers", o.bootstrap}};
    intake::AdmissionOptions admission;
    admission.lead_id_secret = "bench";
    stream::StreamOptions a;
    a.application_id = StrCat("bench-admission-", run);
    a.input_topics = {raw_};
    a.dlq_topic = dlq_;
    a.kafka = kafka;
    a.state_dir = StrCat("/tmp/", a.application_id);
    stream::StreamOptions id = a;
    id.application_id = StrCat("bench-identity-", run);
    id.input_topics = {admitted_};
    id.stores = {intake::kLeadsStore, intake::kSubmissionsStore, intake::kSuppressedStore};
    id.state_dir = StrCat("/tmp/", id.application_id);
    dirs_ = {a.state_dir, id.state_dir};
    auto admission_app = stream::StreamApp::Create(
        a, std::make_unique<intake::AdmissionProcessor>(admitted_, admission, &registry_),
        &registry_);
    auto identity_app =
        stream::StreamApp::Create(id,
                                  std::make_unique<intake::IdentityProcessor>(
                                      leads_, intake::MergePolicy{}, 86'400'000, false, &registry_),
                                  &registry_);
    auto sender = kafka::Sender::Create(kafka);
    if (!ok_ || !admission_app.ok() || !identity_app.ok() || !sender.ok()) {
      ok_ = false;
      return;
    }
    admission_ = std::move(*admission_app);
    identity_ = std::move(*identity_app);
    sender_ = std::move(*sender);
    intake::IntakeCoreOptions core;
    core.admitted_topic = admitted_;
    core.admission = admission;
    core.idempotency_ttl_ms = 86'400'000;
    core_ = std::make_unique<intake::IntakeCore>(core, sender_.get(), identity_.get(), &registry_,
                                                 WallMillis);
    service_ = std::make_unique<intake::IntakeGrpcService>(core_.get());
    grpc_ = std::make_unique<rpc::GrpcServer>(rpc::GrpcServerOptions{});
    grpc_->AddService(service_.get());
    http_ = std::make_unique<http::HttpServer>(http::HttpServerOptions{}, &registry_, &readiness_);
    intake::AddHttpRoutes(core_.get(), http_.get());
    ok_ = grpc_->Start().ok() && http_->Start().ok();
    threads_.emplace_back([this] { Report("admission", admission_->Run(stop_)); });
    threads_.emplace_back([this] { Report("identity", identity_->Run(stop_)); });
    const auto until = Clock::now() + std::chrono::seconds(120);
    while (ok_ && (admission_->ActiveTasks().empty() || identity_->ActiveTasks().empty())) {
      if (Clock::now() > until) ok_ = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~IntakeUnderTest() {
    if (grpc_) grpc_->Shutdown();
    if (http_) http_->Stop();
    stop_.store(true);
    for (auto& t : threads_) t.join();
    std::error_code ec;
    for (const auto& d : dirs_) std::filesystem::remove_all(d, ec);
  }
  bool ok() const { return ok_; }
  // A stream step that ended with an error says so (the run then fails its wait).
  static void Report(const char* step, const absl::Status& s) {
    if (!s.ok())
      std::fprintf(stderr, "leadflow-bench: %s: %s\n", step, std::string(s.message()).c_str());
  }
  int grpc_port() const { return grpc_->port(); }
  int http_port() const { return http_->port(); }
  const std::string& raw() const { return raw_; }
  const std::string& admitted() const { return admitted_; }
  const std::string& leads() const { return leads_; }
  // CPU seconds so far of the admission and the identity step's processing threads.
  double AdmissionCpuSeconds() { return threads_.size() == 2 ? ThreadCpuSeconds(threads_[0]) : 0; }
  double IdentityCpuSeconds() { return threads_.size() == 2 ? ThreadCpuSeconds(threads_[1]) : 0; }

 private:
  std::string run_, raw_, admitted_, leads_, dlq_;
  bool ok_ = false;
  metrics::Registry registry_;
  http::Readiness readiness_;
  std::unique_ptr<stream::StreamApp> admission_, identity_;
  std::unique_ptr<kafka::Sender> sender_;
  std::unique_ptr<intake::IntakeCore> core_;
  std::unique_ptr<intake::IntakeGrpcService> service_;
  std::unique_ptr<rpc::GrpcServer> grpc_;
  std::unique_ptr<http::HttpServer> http_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::vector<std::string> dirs_;
};

// `streams` concurrent StreamLeads calls of leads/streams submissions each; seconds until all
// answered (every lead acknowledged by Kafka for the real intake).
double StreamLoad(int port, const IntakeBenchOptions& o, const std::string& run) {
  auto channel =
      grpc::CreateChannel(StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  std::atomic<int64_t> accepted{0};
  for (int c = 0; c < o.streams; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::IntakeService::NewStub(channel);
      grpc::ClientContext ctx;
      v1::StreamLeadsResponse response;
      auto writer = stub->StreamLeads(&ctx, &response);
      v1::StreamLeadsRequest request;
      for (int i = c; i < o.leads; i += o.streams) {
        *request.mutable_submission() = MakeSubmission(run, i);
        if (!writer->Write(request)) break;
      }
      writer->WritesDone();
      grpc::Status s = writer->Finish();
      if (!s.ok()) std::fprintf(stderr, "stream: %s\n", s.error_message().c_str());
      accepted += response.accepted();
    });
  }
  for (auto& t : clients) t.join();
  if (accepted.load() != o.leads)
    std::fprintf(stderr, "stream: only %lld accepted\n", static_cast<long long>(accepted.load()));
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double HttpLoad(int port, const IntakeBenchOptions& o, const std::string& run) {
  // Bodies are built before the clock starts: the client's JSON encoding is not the server's cost.
  std::vector<std::string> bodies;
  for (int first = 0; first < o.leads; first += o.batch) {
    v1::SubmitLeadsRequest batch;
    for (int i = first; i < std::min(o.leads, first + o.batch); ++i)
      *batch.add_submissions() = MakeSubmission(run, i);
    std::string body;
    if (auto s = google::protobuf::util::MessageToJsonString(batch, &body); !s.ok()) {
      std::fprintf(stderr, "leadflow-bench: JSON: %s\n", s.ToString().c_str());
      return -1;
    }
    bodies.push_back(std::move(body));
  }
  std::atomic<size_t> next{0};
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < o.streams; ++c) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(60, 0);
      for (size_t b = next++; b < bodies.size(); b = next++) {
        auto r = client.Post("/v1/leads", bodies[b], "application/json");
        if (!r || r->status != 200)
          std::fprintf(stderr, "http batch failed: %d\n", r ? r->status : -1);
      }
    });
  }
  for (auto& t : clients) t.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Closed-loop unary SubmitLead from `unary_clients` threads for unary_seconds: rate and latency.
Row UnaryLoad(int port, const IntakeBenchOptions& o, const std::string& run,
              const std::string& target) {
  auto channel =
      grpc::CreateChannel(StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  std::vector<std::vector<double>> latencies(static_cast<size_t>(o.unary_clients));
  const auto until = Clock::now() + std::chrono::seconds(o.unary_seconds);
  std::vector<std::thread> clients;
  for (int c = 0; c < o.unary_clients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::IntakeService::NewStub(channel);
      for (int i = c; Clock::now() < until; i += o.unary_clients) {
        v1::SubmitLeadRequest request;
        *request.mutable_submission() = MakeSubmission(run, i);
        v1::SubmitLeadResponse response;
        grpc::ClientContext ctx;
        const auto t0 = Clock::now();
        if (stub->SubmitLead(&ctx, request, &response).ok()) {
          latencies[static_cast<size_t>(c)].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  Row row{"unary", target};
  row.leads_per_second = static_cast<double>(all.size()) / o.unary_seconds;
  row.p50_ms = Percentile(all, 0.50);
  row.p99_ms = Percentile(all, 0.99);
  return row;
}

}  // namespace

int RunIntakeBench(const IntakeBenchOptions& o) {
  std::vector<Row> rows;
  auto wants = [&](const char* mode) {
    return StrContains(StrCat(",", o.modes, ","), StrCat(",", mode, ","));
  };

  // The no-op ceiling.
  NoopIntake noop;
  rpc::GrpcServer noop_grpc(rpc::GrpcServerOptions{});
  noop_grpc.AddService(&noop);
  if (!noop_grpc.Start().ok()) return 1;
  if (wants("grpc-stream")) {
    std::fprintf(stderr, "[noop] grpc-stream\n");
    rows.push_back({"grpc-stream", "no-op", o.leads / StreamLoad(noop_grpc.port(), o, "noop")});
  }
  if (wants("unary")) {
    std::fprintf(stderr, "[noop] unary\n");
    rows.push_back(UnaryLoad(noop_grpc.port(), o, "noop", "no-op"));
  }
  noop_grpc.Shutdown();

  auto run_intake = [&](const char* mode,
                        const std::function<double(IntakeUnderTest&, const std::string&)>& load) {
    const std::string run = StrCat(mode, "-", WallMillis());
    IntakeUnderTest intake(o, run);
    if (!intake.ok()) {
      std::fprintf(stderr, "leadflow-bench: intake did not start\n");
      return false;
    }
    std::fprintf(stderr, "[intake] %s\n", mode);
    const double admission_cpu = intake.AdmissionCpuSeconds();
    const double identity_cpu = intake.IdentityCpuSeconds();
    const double process_cpu = ProcessCpuSeconds(getpid());
    const double broker_cpu = o.broker_pid > 0 ? ProcessCpuSeconds(o.broker_pid) : 0;
    const auto start = Clock::now();
    // Admitted and captured are watched while the load runs, each by its own reader.
    std::atomic<bool> abort{false};
    Clock::time_point last_admitted;
    Clock::time_point last_captured;
    bool admitted_ok = false;
    bool captured_ok = false;
    std::thread admitted_reader([&] {
      admitted_ok = AwaitEvents(o.bootstrap, intake.admitted(), o.partitions, o.leads, "admitted",
                                abort, &last_admitted);
    });
    std::thread captured_reader([&] {
      captured_ok = AwaitEvents(o.bootstrap, intake.leads(), o.partitions, o.leads, "captured",
                                abort, &last_captured);
    });
    const double seconds = load(intake, run);
    if (seconds < 0) abort.store(true);  // the load failed (and said why): stop waiting
    admitted_reader.join();
    captured_reader.join();
    if (!admitted_ok || !captured_ok) {
      std::fprintf(stderr, "leadflow-bench: not every lead was admitted and captured\n");
      return false;
    }
    Row row{mode, "intake", seconds > 0 ? o.leads / seconds : 0};
    row.admitted_per_second =
        o.leads / std::chrono::duration<double>(last_admitted - start).count();
    row.captured_per_second =
        o.leads / std::chrono::duration<double>(last_captured - start).count();
    const double per_lead_us = 1e6 / o.leads;
    row.admission_us = (intake.AdmissionCpuSeconds() - admission_cpu) * per_lead_us;
    row.identity_us = (intake.IdentityCpuSeconds() - identity_cpu) * per_lead_us;
    row.process_us = (ProcessCpuSeconds(getpid()) - process_cpu) * per_lead_us;
    if (o.broker_pid > 0)
      row.broker_us = (ProcessCpuSeconds(o.broker_pid) - broker_cpu) * per_lead_us;
    rows.push_back(row);
    return true;
  };
  if (wants("grpc-stream") &&
      !run_intake("grpc-stream", [&](IntakeUnderTest& i, const std::string& run) {
        return StreamLoad(i.grpc_port(), o, run);
      })) {
    return 1;
  }
  if (wants("http-batch") &&
      !run_intake("http-batch", [&](IntakeUnderTest& i, const std::string& run) {
        return HttpLoad(i.http_port(), o, run);
      })) {
    return 1;
  }
  if (wants("raw") && !run_intake("raw", [&](IntakeUnderTest& i, const std::string& run) {
        // Produce the submissions to the raw topic; "acknowledged" here is the producer's
        // acks=all, and the end-to-end figure is the one that counts.
        auto producer = kafka::Producer::Create({{"bootstrap.servers", o.bootstrap}});
        if (!producer.ok()) {
          IntakeUnderTest::Report("raw producer", producer.status());
          return -1.0;
        }
        const auto start = Clock::now();
        for (int n = 0; n < o.leads; ++n) {
          const absl::Status s =
              (*producer)->ProduceOrWait({i.raw(),
                                          std::nullopt,
                                          std::to_string(n),
                                          MakeSubmission(run, n).SerializeAsString(),
                                          {}},
                                         nullptr);
          if (!s.ok()) {
            IntakeUnderTest::Report("raw produce", s);
            return -1.0;
          }
        }
        if (absl::Status s = (*producer)->Flush(std::chrono::minutes(5)); !s.ok()) {
          IntakeUnderTest::Report("raw flush", s);
          return -1.0;
        }
        return std::chrono::duration<double>(Clock::now() - start).count();
      })) {
    return 1;
  }
  if (wants("unary")) {
    const std::string run = StrCat("unary-", WallMillis());
    IntakeUnderTest intake(o, run);
    if (!intake.ok()) return 1;
    std::fprintf(stderr, "[intake] unary\n");
    rows.push_back(UnaryLoad(intake.grpc_port(), o, run, "intake"));
  }

  std::printf(
      "| mode | target | leads/s acknowledged | leads/s admitted | leads/s captured | p50 ms | p99 "
      "ms |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  auto rate = [](double v) { return v > 0 ? StrCat(static_cast<int64_t>(v)) : std::string("-"); };
  for (const Row& r : rows) {
    std::printf("| %s | %s | %.0f | %s | %s | %s | %s |\n", r.mode.c_str(), r.target.c_str(),
                r.leads_per_second, rate(r.admitted_per_second).c_str(),
                rate(r.captured_per_second).c_str(), r.p50_ms > 0 ? Fixed(r.p50_ms).c_str() : "-",
                r.p99_ms > 0 ? Fixed(r.p99_ms).c_str() : "-");
  }
  std::printf(
      "\nCPU per lead until the last LeadCaptured (µs): admission and identity are their steps' "
      "processing threads; the process is the bench (intake with its Kafka clients, the load, "
      "the readers)\n\n| mode | admission | identity | process | broker "
      "|\n|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    if (r.target != "intake" || r.process_us <= 0) continue;
    std::printf("| %s | %.1f | %.1f | %.1f | %s |\n", r.mode.c_str(), r.admission_us, r.identity_us,
                r.process_us, r.broker_us > 0 ? Fixed(r.broker_us).c_str() : "- (no --broker-pid)");
  }
  std::printf(
      "(%d leads per throughput mode, %d partitions, %d concurrent streams/clients, HTTP batches "
      "of %d, "
      "unary: %d clients for %d s)\n",
      o.leads, o.partitions, o.streams, o.batch, o.unary_clients, o.unary_seconds);
  return 0;
}

}  // namespace leadflow::bench
