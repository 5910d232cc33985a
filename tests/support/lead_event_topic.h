// A lead-keyed topic (LeadEvent values) as a read_committed subscriber sees it, for integration
// tests: every event so far, a lead's events in order, and waits for an event with generous
// deadlines.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/events/lead_events.h"
#include "tests/support/kafka_env.h"
#include "tests/support/stream_check.h"

namespace leadflow::testing {

class LeadEventTopic {
 public:
  explicit LeadEventTopic(const std::string& topic) : verifier(topic) {}

  // Every event read so far, in topic order per partition; each key must be its lead id.
  std::vector<v1::LeadEvent> All() {
    std::vector<v1::LeadEvent> out;
    for (const auto& [k, v] : verifier.records) {
      v1::LeadEvent e;
      EXPECT_TRUE(e.ParseFromString(v));
      EXPECT_EQ(k, e.envelope().lead_id());
      out.push_back(std::move(e));
    }
    return out;
  }

  std::vector<v1::LeadEvent> For(const std::string& lead_id) {
    std::vector<v1::LeadEvent> out;
    for (v1::LeadEvent& e : All()) {
      if (e.envelope().lead_id() == lead_id) out.push_back(std::move(e));
    }
    return out;
  }

  // Waits until `pred` holds for the n-th (1-based) matching event of `lead_id`; returns it.
  std::optional<v1::LeadEvent> WaitFor(const std::string& lead_id,
                                       const std::function<bool(const v1::LeadEvent&)>& pred,
                                       int n = 1) {
    std::optional<v1::LeadEvent> found;
    WaitUntil(
        [&] {
          int seen = 0;
          for (v1::LeadEvent& e : For(lead_id)) {
            if (pred(e) && ++seen == n) {
              found = std::move(e);
              return true;
            }
          }
          return false;
        },
        kKafkaDeadline, [&] { verifier.PollOnce(100); });
    return found;
  }

  // The n-th event of `kind` ("handed_off") of `lead_id`.
  std::optional<v1::LeadEvent> WaitForKind(const std::string& lead_id, const std::string& kind,
                                           int n = 1) {
    return WaitFor(
        lead_id, [&](const v1::LeadEvent& e) { return events::EventKind(e) == kind; }, n);
  }

  size_t Count(const std::string& kind) {
    size_t n = 0;
    for (const v1::LeadEvent& e : All()) n += events::EventKind(e) == kind ? 1 : 0;
    return n;
  }

  Verifier verifier;
};

}  // namespace leadflow::testing
