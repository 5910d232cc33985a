// HTTP bootstrap: a real server on port 0 serves health, readiness, metrics and added routes.
#include "services/common/http/http_server.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace leadflow::http {
namespace {

using ::testing::HasSubstr;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(HttpServerOptions{}, &registry_, &readiness_);
    server_->Handle("POST", "/v1/echo", Access::Public(), [](const Request& r) {
      return Response{201, "application/json", "{\"got\":" + r.body + "}"};
    });
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(30, 0);
  }

  metrics::Registry registry_;
  Readiness readiness_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, HealthzIsAlwaysOk) {
  auto res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpServerTest, ReadyzReportsTheReasonUntilReady) {
  readiness_.SetNotReady("restoring state");
  auto res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_THAT(res->body, HasSubstr("restoring state"));
  readiness_.SetReady();
  res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpServerTest, MetricsServesThePrometheusTextFormat) {
  registry_.GetCounter("leadflow_test_total", "A test counter.").Increment(5);
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("version=0.0.4"));
  EXPECT_THAT(res->body, HasSubstr("# TYPE leadflow_test_total counter\nleadflow_test_total 5\n"));
}

TEST_F(HttpServerTest, AddedRoutesAndUnknownPaths) {
  auto res = client_->Post("/v1/echo", "{\"a\":1}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "{\"got\":{\"a\":1}}");
  res = client_->Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(HttpServerTest, StopIsIdempotentAndFreesThePort) {
  const int port = server_->port();
  server_->Stop();
  server_->Stop();
  HttpServer again(HttpServerOptions{"127.0.0.1", port}, &registry_, &readiness_);
  EXPECT_TRUE(again.Start().ok()) << "the port must be free after Stop()";
}

TEST(HttpServerPortTest, PortInUseIsAClearError) {
  metrics::Registry registry;
  Readiness readiness;
  HttpServer first(HttpServerOptions{}, &registry, &readiness);
  ASSERT_TRUE(first.Start().ok());
  HttpServer second(HttpServerOptions{"127.0.0.1", first.port()}, &registry, &readiness);
  const absl::Status s = second.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::to_string(first.port())));
}

}  // namespace
}  // namespace leadflow::http
