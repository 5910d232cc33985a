// Routing with values: the account owner wins, rule order, capacity, out-of-office, exclusions,
// the queue fallback, fairness over 10,000 assignments, and config validation.
#include "services/handoff/routing.h"

#include <map>
#include <random>

#include "gtest/gtest.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/config/yaml_file.h"
#include "services/common/events/lead_events.h"

namespace leadflow::handoff {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

v1::RoutingConfig Parse(const std::string& yaml) {
  auto node = config::ParseYaml(yaml, "routing.yaml");
  EXPECT_TRUE(node.ok()) << node.status();
  v1::RoutingConfig out;
  const absl::Status s = config::YamlToProto(*node, "routing.yaml", &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

const char* kConfig = R"(
account_owner_first: true
fallback_queue: inside
rules:
  - {rule_id: de.big, priority: 10, queue: dach, territory: DACH, segment: enterprise,
     conditions: [{attribute: company.country_code, op: in, values: [DE, AT, CH]},
                  {attribute: company.employee_count, op: greater_or_equal, values: ["1000"]}]}
  - {rule_id: de.any, priority: 20, queue: dach-smb, territory: DACH, segment: smb,
     conditions: [{attribute: company.country_code, op: in, values: [DE, AT, CH]}]}
  - {rule_id: early.catch_all_de, priority: 30, queue: inside,
     conditions: [{attribute: company.country_code, op: equals, values: [DE]}]}
reps:
  - {rep_id: a, queues: [dach], weight: 1, capacity: 2, active: true}
  - {rep_id: b, queues: [dach], weight: 1, capacity: 0, active: true}
  - {rep_id: c, queues: [dach-smb], weight: 1, active: true}
  - {rep_id: d, queues: [inside], weight: 1, active: true}
  - {rep_id: owner, queues: [dach], weight: 1, capacity: 1, active: true}
)";

Router MakeRouter(const std::string& yaml = kConfig) {
  auto router = Router::Create(Parse(yaml));
  EXPECT_TRUE(router.ok()) << router.status();
  return *router;
}

v1::Lead Lead(const std::string& country, int employees) {
  v1::Lead l;
  l.mutable_company()->set_country_code(country);
  l.mutable_company()->set_employee_count(employees);
  return l;
}

TEST(RoutingTest, RulesAreTriedByPriorityAndTheFirstMatchNamesTheQueue) {
  const Router router = MakeRouter();
  std::map<std::string, Rotation> rotations;
  auto none = [](const std::string&) { return 0; };
  struct Case {
    std::string country;
    int employees;
    std::string queue;
    std::string rule;
    v1::RoutingMethod method;
  };
  for (const Case& c : std::vector<Case>{
           {"DE", 5000, "dach", "de.big", v1::ROUTING_METHOD_RULE},
           {"DE", 50, "dach-smb", "de.any", v1::ROUTING_METHOD_RULE},  // not the later catch-all
           {"US", 5000, "inside", "", v1::ROUTING_METHOD_FALLBACK},
       }) {
    SCOPED_TRACE(c.country + std::to_string(c.employees));
    const v1::Lead lead = Lead(c.country, c.employees);
    RouteResult r = router.Route({&lead, nullptr, kNow, {}}, none, &rotations);
    EXPECT_EQ(r.queue, c.queue);
    EXPECT_EQ(r.decision.rule_id(), c.rule);
    EXPECT_EQ(r.decision.method(), c.method);
    EXPECT_FALSE(r.rep_id.empty());
    EXPECT_FALSE(r.decision.explanation().empty());
  }
}

TEST(RoutingTest, TheAccountOwnerWinsWhenHeCanTakeIt) {
  const Router router = MakeRouter();
  std::map<std::string, Rotation> rotations;
  v1::AccountRecord account;
  account.set_account_id("acc-1");
  account.set_domain("acme.example");
  account.set_owner_rep_id("owner");
  const v1::Lead lead = Lead("US", 10);  // no rule would send it to the owner's queue
  int owner_open = 0;
  auto open = [&](const std::string& rep) { return rep == "owner" ? owner_open : 0; };
  RouteResult r = router.Route({&lead, &account, kNow, {}}, open, &rotations);
  EXPECT_EQ(r.rep_id, "owner");
  EXPECT_EQ(r.decision.method(), v1::ROUTING_METHOD_ACCOUNT_OWNER);
  // At capacity (1 open of 1): the rules decide, and the decision says why.
  owner_open = 1;
  r = router.Route({&lead, &account, kNow, {}}, open, &rotations);
  EXPECT_EQ(r.rep_id, "d");
  EXPECT_EQ(r.decision.method(), v1::ROUTING_METHOD_FALLBACK);
  EXPECT_NE(r.decision.explanation().find("account owner owner at capacity (1/1)"),
            std::string::npos)
      << r.decision.explanation();
}

TEST(RoutingTest, CapacityOutOfOfficeAndExclusionsNarrowTheCandidatesThenTheQueueWaits) {
  v1::RoutingConfig config = Parse(kConfig);
  v1::TimeWindow* away = config.mutable_reps(1)->add_out_of_office();  // b
  *away->mutable_start() = events::TimestampFromMillis(kNow - 1000);
  *away->mutable_end() = events::TimestampFromMillis(kNow + 1000);
  auto router = Router::Create(config);
  ASSERT_TRUE(router.ok()) << router.status();
  std::map<std::string, Rotation> rotations;
  const v1::Lead lead = Lead("DE", 5000);
  std::map<std::string, int> open;
  auto load = [&](const std::string& rep) { return open[rep]; };
  // b is away, owner is excluded: only a.
  RouteResult r = router->Route({&lead, nullptr, kNow, {"owner"}}, load, &rotations);
  EXPECT_EQ(r.rep_id, "a");
  EXPECT_EQ(r.candidates, (std::vector<std::string>{"a"}));
  EXPECT_EQ(r.decision.eligible_reps(), 1);
  // a at capacity too: nobody — the lead waits in the queue.
  open["a"] = 2;
  r = router->Route({&lead, nullptr, kNow, {"owner"}}, load, &rotations);
  EXPECT_TRUE(r.rep_id.empty());
  EXPECT_EQ(r.queue, "dach");
  EXPECT_EQ(r.decision.eligible_reps(), 0);
  EXPECT_NE(r.decision.explanation().find("1 at capacity, 2 away or excluded"), std::string::npos)
      << r.decision.explanation();
  // After b's absence, b can take it again.
  r = router->Route({&lead, nullptr, kNow + 1000, {"owner"}}, load, &rotations);
  EXPECT_EQ(r.rep_id, "b");
}

TEST(RoutingTest, WeightedRoundRobinIsFairOverTenThousandAssignments) {
  const Router router = MakeRouter(R"(
fallback_queue: q
reps:
  - {rep_id: r1, queues: [q], weight: 1, active: true}
  - {rep_id: r2, queues: [q], weight: 1, active: true}
  - {rep_id: r3, queues: [q], weight: 2, active: true}
  - {rep_id: r4, queues: [q], weight: 3, capacity: 5, active: true}
)");
  std::map<std::string, Rotation> rotations;
  std::map<std::string, int> assigned;
  std::map<std::string, int> open;
  std::mt19937 rng(7);
  const v1::Lead lead = Lead("US", 10);
  int r4_full = 0;
  for (int i = 0; i < 10'000; ++i) {
    // Reps answer some of their open handoffs between assignments (r4 is often at capacity).
    for (auto& [rep, n] : open) {
      if (n > 0 && rng() % 3 == 0) --n;
    }
    if (open["r4"] >= 5) ++r4_full;
    RouteResult r = router.Route(
        {&lead, nullptr, kNow, {}}, [&](const std::string& rep) { return open[rep]; }, &rotations);
    ASSERT_FALSE(r.rep_id.empty());
    ++assigned[r.rep_id];
    ++open[r.rep_id];
  }
  // Among the reps never limited (r1, r2, r3: weights 1:1:2), the shares follow the weights within
  // 1% of all assignments; r4 gets less only because it was at capacity (and never more than its
  // weight's share).
  const double total = 10'000;
  const double unlimited = assigned["r1"] + assigned["r2"] + assigned["r3"];
  EXPECT_NEAR(assigned["r1"] / unlimited, 0.25, 0.01);
  EXPECT_NEAR(assigned["r2"] / unlimited, 0.25, 0.01);
  EXPECT_NEAR(assigned["r3"] / unlimited, 0.50, 0.01);
  EXPECT_LE(assigned["r4"] / total, 3.0 / 7.0 + 0.01);
  EXPECT_GT(r4_full, 0) << "the capacity limit was exercised";
  // Without limits the shares are exact to one assignment per rep.
  std::map<std::string, Rotation> fresh;
  std::map<std::string, int> exact;
  const Router plain = MakeRouter(R"(
fallback_queue: q
reps:
  - {rep_id: r1, queues: [q], weight: 1, active: true}
  - {rep_id: r2, queues: [q], weight: 2, active: true}
  - {rep_id: r3, queues: [q], weight: 4, active: true}
)");
  for (int i = 0; i < 10'000; ++i) {
    ++exact[plain
                .Route(
                    {&lead, nullptr, kNow, {}}, [](const std::string&) { return 0; }, &fresh)
                .rep_id];
  }
  EXPECT_NEAR(exact["r1"], 10'000.0 / 7, 1);
  EXPECT_NEAR(exact["r2"], 20'000.0 / 7, 1);
  EXPECT_NEAR(exact["r3"], 40'000.0 / 7, 1);
}

TEST(RoutingTest, ValidationNamesEveryProblem) {
  const v1::RoutingConfig bad = Parse(R"(
fallback_queue: nobody-works-here
rules:
  - {rule_id: x, queue: q, conditions: [{attribute: company.colour, op: equals, values: [red]}]}
  - {rule_id: x, queue: q, conditions: []}
reps:
  - {rep_id: r, queues: [q], weight: 0, capacity: -1, active: true, manager_rep_id: ghost}
  - {rep_id: r, queues: [q], weight: 1, active: true}
)");
  std::vector<std::string> paths;
  for (const ConfigViolation& v : ValidateRouting(bad)) paths.push_back(v.path);
  for (const char* expected : {"reps[0].weight", "reps[0].capacity", "reps[1].rep_id",
                               "reps[0].manager_rep_id", "rules[0].conditions[0].attribute",
                               "rules[1].rule_id", "rules[1].conditions", "fallback_queue"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), expected), paths.end()) << expected;
  }
}

TEST(RoutingTest, TheShippedConfigIsValid) {
  auto routing = LoadRoutingFile(std::string(LEADFLOW_CONFIG_DIR) + "/routing.yaml");
  ASSERT_TRUE(routing.ok()) << routing.status();
  EXPECT_TRUE(Router::Create(*routing).ok());
}

}  // namespace
}  // namespace leadflow::handoff
