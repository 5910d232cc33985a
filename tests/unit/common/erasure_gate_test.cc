// stream::ErasureGate with values: which inputs of a lead are applied while the copies of its
// LeadErased arrive on several topics, read in parallel.
#include "services/common/stream/erasure_gate.h"

#include <map>

#include "gtest/gtest.h"
#include "services/common/stream/task_state.h"

namespace leadflow::stream {
namespace {

using Verdict = ErasureGate::Verdict;

// The state part of a Context, in a map (the gate uses nothing else).
class MapContext : public Context {
 public:
  int32_t partition() const override { return 0; }
  int64_t now_ms() const override { return 0; }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view store,
                                                 std::string_view key) override {
    auto it = state_.find(Key(store, key));
    return it == state_.end() ? std::optional<std::string>() : it->second;
  }
  void Put(std::string_view store, std::string_view key, std::string_view value) override {
    state_[Key(store, key)] = std::string(value);
  }
  void Delete(std::string_view store, std::string_view key) override {
    state_.erase(Key(store, key));
  }
  void Erase(std::string_view store, std::string_view key) override {
    Delete(store, key);
    ++erased_;
  }
  absl::StatusOr<ScanPage> Scan(std::string_view, std::string_view, size_t) override {
    return ScanPage();
  }
  absl::StatusOr<std::optional<std::string>> GetGlobal(std::string_view,
                                                       std::string_view) override {
    return std::optional<std::string>();
  }
  absl::StatusOr<uint64_t> GlobalGeneration(std::string_view) override { return 0; }
  void Emit(kafka::OutgoingRecord) override {}
  void DeadLetterInput(v1::DeadLetterReason, std::string_view) override {}
  void ScheduleTimer(std::string_view, int64_t, std::string_view) override {}
  void CancelTimer(std::string_view) override {}

  bool HasMarker(std::string_view lead) const {
    return state_.count(Key(kErasuresStore, lead)) != 0;
  }
  int erased() const { return erased_; }

 private:
  static std::string Key(std::string_view store, std::string_view key) {
    return std::string(store) + '\0' + std::string(key);
  }
  std::map<std::string, std::string> state_;
  int erased_ = 0;
};

v1::LeadEvent Event(v1::ServiceName producer) {
  v1::LeadEvent e;
  e.mutable_envelope()->set_lead_id("lead-1");
  e.mutable_envelope()->set_producer_service(producer);
  e.mutable_scored();
  return e;
}

v1::LeadEvent Copy(v1::ServiceName producer, const std::string& request_id = "PRIV-1") {
  v1::LeadEvent e = Event(producer);
  e.mutable_erased()->set_request_id(request_id);
  return e;
}

class ErasureGateTest : public ::testing::Test {
 protected:
  Verdict Admit(const v1::LeadEvent& e, std::string_view keep = "") {
    absl::StatusOr<ErasureGate::Decision> d = gate_.Admit("lead-1", e, ctx_, keep);
    EXPECT_TRUE(d.ok()) << d.status();
    last_kept_ = d.ok() ? d->kept : "";
    return d.ok() ? d->verdict : Verdict::kProcess;
  }
  metrics::Registry registry_;
  // Like reporting: one copy per producer of four topics.
  ErasureGate gate_{{v1::SERVICE_NAME_INTAKE, v1::SERVICE_NAME_QUALIFICATION,
                     v1::SERVICE_NAME_HANDOFF, v1::SERVICE_NAME_RECYCLE},
                    &registry_};
  MapContext ctx_;
  std::string last_kept_;
};

TEST_F(ErasureGateTest, WithoutAnErasureEveryInputIsProcessed) {
  for (v1::ServiceName p :
       {v1::SERVICE_NAME_INTAKE, v1::SERVICE_NAME_HANDOFF, v1::SERVICE_NAME_UNSPECIFIED}) {
    EXPECT_EQ(Admit(Event(p)), Verdict::kProcess);
  }
  EXPECT_FALSE(ctx_.HasMarker("lead-1"));
}

TEST_F(ErasureGateTest, BetweenTheFirstAndTheLastCopyStragglersAreHeldBackAndReturnsStartAfresh) {
  EXPECT_EQ(Admit(Copy(v1::SERVICE_NAME_INTAKE), "anon-1"), Verdict::kFirstCopy);
  EXPECT_TRUE(ctx_.HasMarker("lead-1"));
  // Qualification's copy has not arrived: its events were written before the erasure.
  EXPECT_EQ(Admit(Event(v1::SERVICE_NAME_QUALIFICATION)), Verdict::kStraggler);
  EXPECT_EQ(last_kept_, "anon-1");
  // Intake's copy has: an intake event now is the person coming back.
  EXPECT_EQ(Admit(Event(v1::SERVICE_NAME_INTAKE)), Verdict::kProcess);
  EXPECT_EQ(Admit(Copy(v1::SERVICE_NAME_QUALIFICATION)), Verdict::kLaterCopy);
  EXPECT_EQ(last_kept_, "anon-1");
  EXPECT_EQ(Admit(Event(v1::SERVICE_NAME_QUALIFICATION)), Verdict::kProcess);
  EXPECT_EQ(Admit(Event(v1::SERVICE_NAME_RECYCLE)), Verdict::kStraggler);
  EXPECT_EQ(Admit(Copy(v1::SERVICE_NAME_HANDOFF)), Verdict::kLaterCopy);
  EXPECT_EQ(Admit(Copy(v1::SERVICE_NAME_INTAKE)), Verdict::kLaterCopy) << "a repeat";
  EXPECT_TRUE(ctx_.HasMarker("lead-1"));
  // The last copy: the marker goes (erased, so it leaves the files too).
  EXPECT_EQ(Admit(Copy(v1::SERVICE_NAME_RECYCLE)), Verdict::kLaterCopy);
  EXPECT_FALSE(ctx_.HasMarker("lead-1"));
  EXPECT_EQ(ctx_.erased(), 1);
  EXPECT_EQ(Admit(Event(v1::SERVICE_NAME_RECYCLE)), Verdict::kProcess);
  EXPECT_EQ(registry_
                .GetCounter("leadflow_erasure_stragglers_total",
                            "Inputs from before an erasure that arrived after its first copy; "
                            "not applied.")
                .Value(),
            2);
}

TEST_F(ErasureGateTest, ANewRequestWhileOneIsUnderWayIsAFirstCopyAgain) {
  EXPECT_EQ(Admit(Copy(v1::SERVICE_NAME_INTAKE, "PRIV-1"), "anon-1"), Verdict::kFirstCopy);
  EXPECT_EQ(Admit(Copy(v1::SERVICE_NAME_INTAKE, "PRIV-2"), "anon-2"), Verdict::kFirstCopy);
  EXPECT_EQ(Admit(Event(v1::SERVICE_NAME_HANDOFF)), Verdict::kStraggler);
  EXPECT_EQ(last_kept_, "anon-2");
}

}  // namespace
}  // namespace leadflow::stream
