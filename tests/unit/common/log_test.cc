// Structured log lines: JSON lines parse back with typed fields; text lines stay splittable.
#include "services/common/log/log.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace leadflow::log {
namespace {

using ::testing::HasSubstr;

TEST(LogFormatTest, JsonLineCarriesTypedFields) {
  const std::string line = FormatLine(Format::kJson, "2026-11-27T00:00:00.000Z", Level::kWarn,
                                      "intake", "record rejected",
                                      {{"topic", "leadflow.intake.raw.v1"},
                                       {"partition", 3},
                                       {"offset", int64_t{1234567890123}},
                                       {"retry", false},
                                       {"ratio", 0.5}});
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["ts"], "2026-11-27T00:00:00.000Z");
  EXPECT_EQ(json["level"], "warn");
  EXPECT_EQ(json["service"], "intake");
  EXPECT_EQ(json["msg"], "record rejected");
  EXPECT_EQ(json["topic"], "leadflow.intake.raw.v1");
  EXPECT_EQ(json["partition"], 3);
  EXPECT_EQ(json["offset"], 1234567890123);
  EXPECT_EQ(json["retry"], false);
  EXPECT_DOUBLE_EQ(json["ratio"].get<double>(), 0.5);
}

TEST(LogFormatTest, JsonSurvivesQuotesNewlinesAndInvalidUtf8) {
  const std::string line = FormatLine(Format::kJson, "t", Level::kInfo, "svc", "a \"b\"\nc",
                                      {{"bytes", std::string("\xff\xfe", 2)}});
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["msg"], "a \"b\"\nc");
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one event per line";
}

TEST(LogFormatTest, TextLineQuotesValuesWithSpaces) {
  const std::string line = FormatLine(Format::kText, "t", Level::kError, "handoff", "commit failed",
                                      {{"error", "broker down"}, {"partition", 2}, {"ok", true}});
  EXPECT_EQ(line, "t ERROR [handoff] commit failed error=\"broker down\" partition=2 ok=true");
}

TEST(LogTest, WriteHonoursLevelAndFormat) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  SetLoggerForTesting(std::make_shared<spdlog::logger>("capture", sink));
  Init("recycle", Level::kInfo, Format::kJson);
  Debug("hidden", {{"k", 1}});
  Info("shown", {{"k", 2}});
  SetLoggerForTesting(nullptr);
  const std::string out = captured.str();
  EXPECT_THAT(out, ::testing::Not(HasSubstr("hidden")));
  const auto json = nlohmann::json::parse(out.substr(0, out.find('\n')));
  EXPECT_EQ(json["msg"], "shown");
  EXPECT_EQ(json["service"], "recycle");
  EXPECT_EQ(json["k"], 2);
}

TEST(LogTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(*ParseLevel("WARNING"), Level::kWarn);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_FALSE(ParseLevel("loud").ok());
  EXPECT_THAT(std::string(ParseFormat("xml").status().message()), HasSubstr("'xml'"));
}

}  // namespace
}  // namespace leadflow::log
