#include "tools/leadflowctl/lead_cmds.h"

#include <cstdio>

#include "leadflow/v1/intake_service.grpc.pb.h"
#include "services/common/base/strings.h"

namespace leadflow::ctl {
namespace {

absl::Status FillSource(const std::string& source_system, const std::string& campaign,
                        const std::string& channel, v1::Source* source) {
  source->set_source_system(source_system);
  source->set_campaign_id(campaign);
  if (!channel.empty()) {
    absl::StatusOr<v1::Channel> c =
        ParseEnumArg<v1::Channel>(v1::Channel_descriptor(), channel, "--channel");
    if (!c.ok()) return c.status();
    source->set_channel(*c);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::SubmitLeadRequest> BuildSubmitLeadRequest(const SubmitArgs& args,
                                                             const std::string& generated_key) {
  if (args.email.empty()) return absl::InvalidArgumentError("--email: is required");
  if (args.source_system.empty()) return absl::InvalidArgumentError("--source-system: is empty");
  v1::SubmitLeadRequest request;
  request.set_validate_only(args.validate_only);
  v1::LeadSubmission& s = *request.mutable_submission();
  s.set_idempotency_key(args.idempotency_key.empty() ? generated_key : args.idempotency_key);
  s.set_source_system(args.source_system);
  v1::Person& p = *s.mutable_person();
  p.set_email(args.email);
  p.set_first_name(args.first_name);
  p.set_last_name(args.last_name);
  p.set_job_title(args.title);
  p.set_phone(args.phone);
  p.set_country_code(AsciiStrToUpper(args.country));
  if (args.employees < 0) return absl::InvalidArgumentError("--employees: must not be negative");
  v1::Company& c = *s.mutable_company();
  c.set_name(args.company);
  c.set_domain(args.domain);
  c.set_industry(args.industry);
  c.set_employee_count(args.employees);
  // The person's country is the company's unless told otherwise: the ICP looks at the company.
  c.set_country_code(p.country_code());
  if (c.ByteSizeLong() == 0) s.clear_company();
  if (absl::Status st =
          FillSource(args.source_system, args.campaign, args.channel, s.mutable_source());
      !st.ok()) {
    return st;
  }
  return request;
}

absl::StatusOr<v1::RecordEngagementRequest> BuildRecordEngagementRequest(
    const EngageArgs& args, const std::string& generated_key,
    std::chrono::system_clock::time_point now) {
  if (args.email.empty()) return absl::InvalidArgumentError("--email: is required");
  if (args.type.empty()) return absl::InvalidArgumentError("--type: is required");
  absl::StatusOr<v1::EngagementType> type =
      ParseEnumArg<v1::EngagementType>(v1::EngagementType_descriptor(), args.type, "--type");
  if (!type.ok()) return type.status();
  v1::RecordEngagementRequest request;
  request.set_idempotency_key(args.idempotency_key.empty() ? generated_key : args.idempotency_key);
  request.set_source_system(args.source_system);
  request.set_email(args.email);
  request.set_validate_only(args.validate_only);
  v1::Engagement& e = *request.mutable_engagement();
  e.set_type(*type);
  e.set_asset_id(args.asset);
  if (!args.at.empty()) {
    absl::StatusOr<google::protobuf::Timestamp> at = ParseTimeArg(args.at, "--at", now);
    if (!at.ok()) return at.status();
    *e.mutable_occurred_at() = *at;
  }
  if (absl::Status st =
          FillSource(args.source_system, args.campaign, args.channel, e.mutable_source());
      !st.ok()) {
    return st;
  }
  return request;
}

absl::StatusOr<v1::EraseLeadRequest> BuildEraseLeadRequest(const EraseArgs& args) {
  if (args.request_id.empty()) {
    return absl::InvalidArgumentError(
        "--request-id: is required (the erase request's id, e.g. the privacy ticket; a retry "
        "reuses it)");
  }
  if (args.email.empty() == args.lead_id.empty()) {
    return absl::InvalidArgumentError("--email or --lead-id: exactly one is required");
  }
  v1::EraseLeadRequest request;
  request.set_request_id(args.request_id);
  if (!args.email.empty()) {
    request.set_email(args.email);
  } else {
    request.set_lead_id(args.lead_id);
  }
  return request;
}

std::string DescribeSubmission(const v1::SubmissionResult& result) {
  switch (result.outcome()) {
    case v1::SUBMISSION_OUTCOME_ACCEPTED:
      return StrCat("accepted: lead ", result.lead_id(), " (key ", result.idempotency_key(), ")");
    case v1::SUBMISSION_OUTCOME_DUPLICATE:
      return StrCat("duplicate: lead ", result.lead_id(), " was already admitted under key ",
                    result.idempotency_key(), "; nothing new was written");
    default: {
      std::string out = StrCat("invalid (key ", result.idempotency_key(), ")");
      for (const auto& v : result.violations())
        StrAppend(&out, "\n  ", v.field(), ": ", v.description());
      return out;
    }
  }
}

void LeadCommands::Add(CLI::App* app) {
  submit_ = app->add_subcommand(
      "submit",
      "submit one lead through the intake (IntakeService.SubmitLead); prints the outcome and the "
      "lead id\n"
      "example:\n"
      "  leadflowctl submit --email ada@example.com --first-name Ada --company Acme "
      "--title CTO \\\n"
      "    --country DE --channel paid_search --campaign spring-26 --idempotency-key form-4711");
  SubmitArgs& s = submit_args_;
  submit_->add_option("--email", s.email, "the person's email")->required();
  submit_->add_option("--first-name", s.first_name, "first name");
  submit_->add_option("--last-name", s.last_name, "last name");
  submit_->add_option("--company", s.company, "company name");
  submit_->add_option("--domain", s.domain, "company web domain, e.g. acme.com");
  submit_->add_option("--industry", s.industry, "company industry, e.g. software");
  submit_->add_option("--employees", s.employees, "company head count");
  submit_->add_option("--title", s.title, "job title");
  submit_->add_option("--country", s.country, "ISO 3166 country code, e.g. DE");
  submit_->add_option("--phone", s.phone, "phone number");
  submit_->add_option("--source-system", s.source_system, "the sending system")
      ->capture_default_str();
  submit_->add_option("--campaign", s.campaign, "campaign id");
  submit_->add_option("--channel", s.channel,
                      "channel: " + AllowedValues(v1::Channel_descriptor()));
  submit_->add_option("--idempotency-key", s.idempotency_key,
                      "key of this submission; a retry must reuse it (default: a fresh one)");
  submit_->add_flag("--validate-only", s.validate_only, "validate and normalize; write nothing");

  engage_ = app->add_subcommand(
      "engage",
      "record one activity of a person by email (IntakeService.RecordEngagement)\n"
      "example:\n"
      "  leadflowctl engage --email ada@example.com --type demo_request --at "
      "2026-03-01T09:30:00Z");
  EngageArgs& e = engage_args_;
  engage_->add_option("--email", e.email, "the person's email")->required();
  engage_
      ->add_option("--type", e.type, "activity: " + AllowedValues(v1::EngagementType_descriptor()))
      ->required();
  engage_->add_option("--at", e.at,
                      "when it happened: RFC 3339 time, date or duration ago (default: now)");
  engage_->add_option("--asset", e.asset, "asset id (form, page, webinar)");
  engage_->add_option("--source-system", e.source_system, "the sending system")
      ->capture_default_str();
  engage_->add_option("--campaign", e.campaign, "campaign id");
  engage_->add_option("--channel", e.channel,
                      "channel: " + AllowedValues(v1::Channel_descriptor()));
  engage_->add_option("--idempotency-key", e.idempotency_key,
                      "key of this activity; a retry must reuse it (default: a fresh one)");
  engage_->add_flag("--validate-only", e.validate_only, "validate and normalize; write nothing");

  erase_ = app->add_subcommand(
      "erase",
      "erase a person's data from every service (IntakeService.EraseLead; ops-admin token). "
      "Returns once the request is durably in Kafka; the services erase in turn, and "
      "leadflow.recycle.v1 carries the LeadErased once all have (docs/security.md)\n"
      "example:\n"
      "  leadflowctl erase --email ada@example.com --request-id PRIV-2026-118");
  EraseArgs& x = erase_args_;
  erase_->add_option("--email", x.email, "the person's email (not logged, not kept)");
  erase_->add_option("--lead-id", x.lead_id, "or the lead id");
  erase_
      ->add_option("--request-id", x.request_id,
                   "id of the erase request (e.g. the privacy ticket); a retry reuses it")
      ->required();
}

std::optional<int> LeadCommands::Run(const CallOptions& options) {
  if (submit_->parsed()) {
    absl::StatusOr<v1::SubmitLeadRequest> request =
        BuildSubmitLeadRequest(submit_args_, NewIdempotencyKey());
    if (!request.ok()) return FailUsage(request.status());
    auto stub = v1::IntakeService::NewStub(ChannelTo(options, options.intake_address));
    v1::SubmitLeadResponse response;
    grpc::Status status = stub->SubmitLead(UnaryContext(options).get(), *request, &response);
    if (!status.ok()) return FailRpc(status);
    std::printf("%s\n", options.json ? ToJsonLine(response).c_str()
                                     : DescribeSubmission(response.result()).c_str());
    return 0;
  }
  if (engage_->parsed()) {
    absl::StatusOr<v1::RecordEngagementRequest> request = BuildRecordEngagementRequest(
        engage_args_, NewIdempotencyKey(), std::chrono::system_clock::now());
    if (!request.ok()) return FailUsage(request.status());
    auto stub = v1::IntakeService::NewStub(ChannelTo(options, options.intake_address));
    v1::RecordEngagementResponse response;
    grpc::Status status = stub->RecordEngagement(UnaryContext(options).get(), *request, &response);
    if (!status.ok()) return FailRpc(status);
    std::printf("%s\n", options.json ? ToJsonLine(response).c_str()
                                     : DescribeSubmission(response.result()).c_str());
    return 0;
  }
  if (erase_->parsed()) {
    absl::StatusOr<v1::EraseLeadRequest> request = BuildEraseLeadRequest(erase_args_);
    if (!request.ok()) return FailUsage(request.status());
    auto stub = v1::IntakeService::NewStub(ChannelTo(options, options.intake_address));
    v1::EraseLeadResponse response;
    grpc::Status status = stub->EraseLead(UnaryContext(options).get(), *request, &response);
    if (!status.ok()) return FailRpc(status);
    if (options.json) {
      std::printf("%s\n", ToJsonLine(response).c_str());
    } else {
      std::printf(
          "erasure requested: lead %s (request %s); its LeadErased on leadflow.leads.v1 "
          "will carry event id %s\n",
          response.lead_id().c_str(), response.request_id().c_str(), response.event_id().c_str());
    }
    return 0;
  }
  return std::nullopt;
}

}  // namespace leadflow::ctl
