// Settings: precedence of default < file < env < flag, typed validation, and errors that say where.
#include "services/common/config/settings.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace leadflow::config {
namespace {

using ::testing::HasSubstr;

SettingsSchema Schema() {
  return SettingsSchema{
      "leadflow-test",
      {
          {"grpc.port", SettingType::kInt, "50051", "gRPC port", 0, 65535},
          {"log.format", SettingType::kString, "text", "text or json"},
          {"commit.interval", SettingType::kDuration, "100ms", "commit interval"},
          {"tls.enabled", SettingType::kBool, "false", "serve TLS"},
          {"data.dir", SettingType::kString, "", "state dir", INT64_MIN, INT64_MAX, true},
      },
      {"kafka."},
  };
}

SettingsInputs Args(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return SettingsInputs{std::move(args), std::move(env)};
}

TEST(SettingsTest, DefaultsApplyWhenNothingElseIsGiven) {
  auto s = Settings::Load(Schema(), Args({"--data.dir=/tmp/x"}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->GetInt("grpc.port"), 50051);
  EXPECT_EQ(s->GetString("log.format"), "text");
  EXPECT_EQ(s->GetDuration("commit.interval"), std::chrono::milliseconds(100));
  EXPECT_FALSE(s->GetBool("tls.enabled"));
  EXPECT_EQ(s->OriginOf("grpc.port").kind, Origin::Kind::kDefault);
}

TEST(SettingsTest, FileThenEnvThenFlagsWin) {
  testing::TempDir dir;
  const std::string path = dir.Sub("svc.yaml");
  testing::WriteFile(path,
                     "grpc:\n  port: 6000\nlog:\n  format: json\ndata:\n  dir: /var/lib/x\n"
                     "kafka:\n  linger.ms: 7\n");
  auto s = Settings::Load(
      Schema(), Args({"--config", path, "--log.format=text"}, {{"LEADFLOW_GRPC_PORT", "7000"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->GetInt("grpc.port"), 7000);            // env over file
  EXPECT_EQ(s->GetString("log.format"), "text");      // flag over file
  EXPECT_EQ(s->GetString("data.dir"), "/var/lib/x");  // file over default
  EXPECT_EQ(s->OriginOf("data.dir").where, path + ":6:8");
  EXPECT_EQ(s->OriginOf("grpc.port").where, "LEADFLOW_GRPC_PORT");
  EXPECT_EQ(s->WithPrefix("kafka."), (std::map<std::string, std::string>{{"linger.ms", "7"}}));
}

TEST(SettingsTest, KafkaPropertiesPassThroughFromEveryLayer) {
  auto s = Settings::Load(Schema(), Args({"--data.dir=/d", "--kafka.bootstrap.servers=h:1"},
                                         {{"LEADFLOW_KAFKA_ENABLE_IDEMPOTENCE", "true"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->WithPrefix("kafka."),
            (std::map<std::string, std::string>{{"bootstrap.servers", "h:1"},
                                                {"enable.idempotence", "true"}}));
}

TEST(SettingsTest, BadIntegerInFileNamesFileLineAndField) {
  testing::TempDir dir;
  const std::string path = dir.Sub("svc.yaml");
  testing::WriteFile(path, "data:\n  dir: /d\ngrpc:\n  port: fifty\n");
  auto s = Settings::Load(Schema(), Args({"--config=" + path}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(path + ":4:9"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("'grpc.port'"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("expected an integer"));
}

TEST(SettingsTest, OutOfRangeValueFromEnvNamesTheVariable) {
  auto s = Settings::Load(Schema(), Args({"--data.dir=/d"}, {{"LEADFLOW_GRPC_PORT", "70000"}}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("environment variable LEADFLOW_GRPC_PORT: setting 'grpc.port': must be in "
                        "[0, 65535], got '70000'"));
}

TEST(SettingsTest, UnknownKeyInFileIsAnErrorWithASuggestion) {
  testing::TempDir dir;
  const std::string path = dir.Sub("svc.yaml");
  testing::WriteFile(path, "data:\n  dir: /d\ngrpc:\n  prot: 1\n");
  auto s = Settings::Load(Schema(), Args({"--config=" + path}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr(path + ":4:9: unknown setting 'grpc.prot'"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("did you mean 'grpc.port'?"));
}

TEST(SettingsTest, YamlSyntaxErrorNamesTheLine) {
  testing::TempDir dir;
  const std::string path = dir.Sub("svc.yaml");
  testing::WriteFile(path, "grpc:\n  port: [1, 2\n");
  auto s = Settings::Load(Schema(), Args({"--config=" + path, "--data.dir=/d"}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(path + ":"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("invalid YAML"));
}

TEST(SettingsTest, AKeySetTwiceInTheFileIsAnError) {
  testing::TempDir dir;
  const std::string path = dir.Sub("svc.yaml");
  testing::WriteFile(path, "grpc:\n  port: 1\ngrpc:\n  port: 2\n");
  auto s = Settings::Load(Schema(), Args({"--config=" + path, "--data.dir=/d"}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr(path + ":3:1: 'grpc' is set twice (first at " + path + ":1:1)"));
}

TEST(SettingsTest, MissingConfigFileIsNotFound) {
  auto s = Settings::Load(Schema(), Args({"--config=/nonexistent/leadflow.yaml"}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("/nonexistent/leadflow.yaml"));
}

TEST(SettingsTest, RequiredSettingMissingSaysHowToSetIt) {
  auto s = Settings::Load(Schema(), Args({}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("'data.dir' is required: set it in the config file, with LEADFLOW_DATA_DIR "
                        "or with --data.dir"));
}

TEST(SettingsTest, UnknownFlagIsAnError) {
  auto s = Settings::Load(Schema(), Args({"--data.dir=/d", "--grpc.prt=1"}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("flag --grpc.prt: unknown setting"));
}

TEST(SettingsTest, PositionalArgumentIsAnError) {
  auto s = Settings::Load(Schema(), Args({"stray"}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("argument 'stray'"));
}

TEST(SettingsTest, BareBooleanFlagSwitchesOn) {
  auto s = Settings::Load(Schema(), Args({"--tls.enabled", "--data.dir=/d"}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->GetBool("tls.enabled"));
}

TEST(SettingsTest, BadBooleanAndDurationAreRejected) {
  EXPECT_THAT(std::string(Settings::Load(Schema(), Args({"--data.dir=/d", "--tls.enabled=maybe"}))
                              .status()
                              .message()),
              HasSubstr("expected a boolean"));
  EXPECT_THAT(std::string(Settings::Load(Schema(), Args({"--data.dir=/d", "--commit.interval=5y"}))
                              .status()
                              .message()),
              HasSubstr("unknown duration unit 'y'"));
}

TEST(SettingsTest, UnrelatedLeadflowEnvVarIsAWarningNotAnError) {
  auto s = Settings::Load(Schema(), Args({"--data.dir=/d"}, {{"LEADFLOW_TEST_THING", "1"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->warnings().size(), 1u);
  EXPECT_THAT(s->warnings()[0], HasSubstr("LEADFLOW_TEST_THING"));
}

TEST(SettingsTest, DescribeRedactsSecrets) {
  auto s = Settings::Load(Schema(), Args({"--data.dir=/d", "--kafka.sasl.password=hunter2"}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->Describe(), HasSubstr("kafka.sasl.password = <redacted>"));
  EXPECT_THAT(s->Describe(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(SettingsTest, HelpListsEverySettingWithItsEnvVar) {
  const std::string help = Settings::Help(Schema());
  EXPECT_THAT(help, HasSubstr("--grpc.port (integer, LEADFLOW_GRPC_PORT, default 50051)"));
  EXPECT_THAT(help, HasSubstr("--data.dir (string, LEADFLOW_DATA_DIR, required)"));
  EXPECT_THAT(help, HasSubstr("--kafka.*"));
  EXPECT_TRUE(WantsHelp({"--x=1", "--help"}));
  EXPECT_FALSE(WantsHelp({"--x=1"}));
}

TEST(ParseDurationTest, Units) {
  EXPECT_EQ(*ParseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*ParseDuration("5s"), std::chrono::seconds(5));
  EXPECT_EQ(*ParseDuration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(*ParseDuration("1h"), std::chrono::hours(1));
  EXPECT_EQ(*ParseDuration("1d"), std::chrono::hours(24));
  EXPECT_EQ(*ParseDuration("42"), std::chrono::milliseconds(42));
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999d").ok());
}

TEST(EnvVarForTest, UpperCasesAndReplacesSeparators) {
  EXPECT_EQ(EnvVarFor("grpc.port"), "LEADFLOW_GRPC_PORT");
  EXPECT_EQ(EnvVarFor("sla.accept-within"), "LEADFLOW_SLA_ACCEPT_WITHIN");
}

}  // namespace
}  // namespace leadflow::config
