#include "tools/leadflowctl/csv_import.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "leadflow/v1/intake_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/events/ids.h"

namespace leadflow::ctl {
namespace {

// "E-mail Address" → "emailaddress": the key header aliases are matched on.
std::string AliasKey(std::string_view header) {
  std::string out;
  for (char c : header) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(c);
    if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
  }
  return out;
}

const std::map<std::string, std::string>& DefaultAliases() {
  static const std::map<std::string, std::string> aliases = {
      {"email", "person.email"},
      {"emailaddress", "person.email"},
      {"workemail", "person.email"},
      {"businessemail", "person.email"},
      {"mail", "person.email"},
      {"firstname", "person.first_name"},
      {"givenname", "person.first_name"},
      {"forename", "person.first_name"},
      {"lastname", "person.last_name"},
      {"surname", "person.last_name"},
      {"familyname", "person.last_name"},
      {"name", "person.full_name"},
      {"fullname", "person.full_name"},
      {"title", "person.job_title"},
      {"jobtitle", "person.job_title"},
      {"position", "person.job_title"},
      {"phone", "person.phone"},
      {"phonenumber", "person.phone"},
      {"mobile", "person.phone"},
      {"telephone", "person.phone"},
      {"country", "person.country_code"},
      {"countrycode", "person.country_code"},
      {"seniority", "person.seniority"},
      {"department", "person.department"},
      {"linkedin", "person.profile_url"},
      {"profileurl", "person.profile_url"},
      {"company", "company.name"},
      {"companyname", "company.name"},
      {"organization", "company.name"},
      {"organisation", "company.name"},
      {"accountname", "company.name"},
      {"website", "company.domain"},
      {"domain", "company.domain"},
      {"companydomain", "company.domain"},
      {"companywebsite", "company.domain"},
      {"industry", "company.industry"},
      {"employees", "company.employee_count"},
      {"employeecount", "company.employee_count"},
      {"numberofemployees", "company.employee_count"},
      {"companysize", "company.employee_count"},
      {"companycountry", "company.country_code"},
      {"hqcountry", "company.country_code"},
      {"state", "company.region"},
      {"region", "company.region"},
      {"province", "company.region"},
      {"campaign", "source.campaign_id"},
      {"campaignid", "source.campaign_id"},
      {"channel", "source.channel"},
      {"utmsource", "source.utm.utm_source"},
      {"utmmedium", "source.utm.utm_medium"},
      {"utmcampaign", "source.utm.utm_campaign"},
      {"utmterm", "source.utm.utm_term"},
      {"utmcontent", "source.utm.utm_content"},
      {"id", "external_id"},
      {"externalid", "external_id"},
      {"recordid", "external_id"},
      {"activity", "engagement.type"},
      {"engagement", "engagement.type"},
      {"engagementtype", "engagement.type"},
      {"asset", "engagement.asset_id"},
      {"assetid", "engagement.asset_id"},
      {"date", "occurred_at"},
      {"timestamp", "occurred_at"},
      {"createdat", "occurred_at"},
      {"submittedat", "occurred_at"},
      {"occurredat", "occurred_at"},
      {"consent", "consent.marketing_email"},
      {"optin", "consent.marketing_email"},
      {"emailconsent", "consent.marketing_email"},
      {"marketingconsent", "consent.marketing_email"},
  };
  return aliases;
}

// An enum value from "CHANNEL_PAID_SEARCH", "paid search" or "Paid-Search".
template <typename Enum>
absl::StatusOr<Enum> ParseEnum(const google::protobuf::EnumDescriptor* d, std::string_view text) {
  const google::protobuf::EnumValueDescriptor* v = config::FindEnumValueByShortName(d, text);
  if (v == nullptr) return absl::InvalidArgumentError("not a known value");
  return static_cast<Enum>(v->number());
}

absl::StatusOr<google::protobuf::Timestamp> ParseTime(const std::string& text) {
  google::protobuf::Timestamp t;
  std::string s = text;
  if (s.size() == 10) s += "T00:00:00Z";  // a date
  if (!google::protobuf::util::TimeUtil::FromString(s, &t)) {
    return absl::InvalidArgumentError("not an RFC 3339 time or YYYY-MM-DD date");
  }
  return t;
}

}  // namespace

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i)
    StrAppend(&out, i == 0 ? "" : ",", CsvField(fields[i]));
  return out + "\n";
}

CsvReader::CsvReader(std::string text) : text_(std::move(text)) {
  if (StartsWith(text_, "\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 BOM
}

bool CsvReader::Next(std::vector<std::string>* fields, int* line) {
  fields->clear();
  // Skip blank lines between records.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;
  *line = line_;
  std::string field;
  bool quoted = false;
  while (pos_ < text_.size()) {
    const char c = text_[pos_++];
    if (quoted) {
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      ++line_;
      break;
    } else {
      field.push_back(c);
    }
  }
  if (quoted)
    error_ = StrCat("line ", *line, ": a quoted field is not closed before the end of the file");
  fields->push_back(std::move(field));
  return true;
}

const std::vector<std::string>& KnownFields() {
  static const std::vector<std::string> fields = [] {
    std::set<std::string> unique;
    for (const auto& [alias, field] : DefaultAliases()) unique.insert(field);
    return std::vector<std::string>(unique.begin(), unique.end());
  }();
  return fields;
}

absl::StatusOr<ColumnMapping> BuildMapping(const std::vector<std::string>& header,
                                           const std::vector<std::string>& explicit_mappings) {
  ColumnMapping m;
  for (size_t i = 0; i < header.size(); ++i) {
    auto it = DefaultAliases().find(AliasKey(header[i]));
    if (it != DefaultAliases().end()) m.field_of_column[i] = it->second;
  }
  for (const std::string& entry : explicit_mappings) {
    const size_t eq = entry.rfind('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(StrCat("--map '", entry, "': expected COLUMN=field.path"));
    }
    const std::string column = entry.substr(0, eq);
    const std::string field = entry.substr(eq + 1);
    const bool known =
        std::find(KnownFields().begin(), KnownFields().end(), field) != KnownFields().end() ||
        (StartsWith(field, "custom_attributes.") && field.size() > 18) || field == "-";
    if (!known) {
      return absl::InvalidArgumentError(StrCat(
          "--map '", entry, "': unknown field '", field,
          "' (known: custom_attributes.<key>, - to ignore, ",
          [] {
            std::string all;
            for (const auto& f : KnownFields()) StrAppend(&all, all.empty() ? "" : ", ", f);
            return all;
          }(),
          ")"));
    }
    auto col = std::find(header.begin(), header.end(), column);
    if (col == header.end())
      return absl::InvalidArgumentError(StrCat("--map '", entry, "': no column '", column, "'"));
    const size_t index = static_cast<size_t>(col - header.begin());
    if (field == "-") {
      m.field_of_column.erase(index);
    } else {
      m.field_of_column[index] = field;
    }
  }
  bool has_email = false;
  for (const auto& [i, f] : m.field_of_column) has_email = has_email || f == "person.email";
  if (!has_email) {
    return absl::InvalidArgumentError(
        "no column maps to person.email (name it Email or use --map 'COLUMN=person.email')");
  }
  for (size_t i = 0; i < header.size(); ++i) {
    if (m.field_of_column.count(i) == 0) m.unmapped.push_back(header[i]);
  }
  return m;
}

absl::StatusOr<v1::LeadSubmission> RowToSubmission(const std::vector<std::string>& row,
                                                   const ColumnMapping& mapping) {
  v1::LeadSubmission s;
  v1::Person& p = *s.mutable_person();
  v1::Company& c = *s.mutable_company();
  for (const auto& [column, field] : mapping.field_of_column) {
    if (column >= row.size() || row[column].empty()) continue;
    const std::string& v = row[column];
    auto fail = [&](std::string_view why) {
      return absl::InvalidArgumentError(StrCat(field, ": ", why));
    };
    if (field == "person.email")
      p.set_email(v);
    else if (field == "person.first_name")
      p.set_first_name(v);
    else if (field == "person.last_name")
      p.set_last_name(v);
    else if (field == "person.full_name") {
      const size_t space = v.find_last_of(' ');
      if (space == std::string::npos) {
        p.set_last_name(v);
      } else {
        p.set_first_name(v.substr(0, space));
        p.set_last_name(v.substr(space + 1));
      }
    } else if (field == "person.job_title")
      p.set_job_title(v);
    else if (field == "person.phone")
      p.set_phone(v);
    else if (field == "person.country_code")
      p.set_country_code(v);
    else if (field == "person.seniority")
      p.set_seniority(v);
    else if (field == "person.department")
      p.set_department(v);
    else if (field == "person.profile_url")
      p.set_profile_url(v);
    else if (field == "company.name")
      c.set_name(v);
    else if (field == "company.domain")
      c.set_domain(v);
    else if (field == "company.industry")
      c.set_industry(v);
    else if (field == "company.country_code")
      c.set_country_code(v);
    else if (field == "company.region")
      c.set_region(v);
    else if (field == "company.employee_count") {
      std::string digits;
      for (char ch : v) {
        if (ch >= '0' && ch <= '9')
          digits.push_back(ch);
        else if (ch != ',' && ch != '.' && ch != ' ' && ch != '+')
          return fail("not a whole number");
      }
      if (digits.empty() || digits.size() > 9) return fail("not a whole number");
      c.set_employee_count(std::stoi(digits));
    } else if (field == "source.campaign_id")
      s.mutable_source()->set_campaign_id(v);
    else if (field == "source.channel") {
      auto ch = ParseEnum<v1::Channel>(v1::Channel_descriptor(), v);
      if (!ch.ok()) return fail("not a known channel");
      s.mutable_source()->set_channel(*ch);
    } else if (StartsWith(field, "source.utm.")) {
      v1::UtmAttribution& u = *s.mutable_source()->mutable_utm();
      const std::string which = field.substr(11);
      if (which == "utm_source") u.set_utm_source(v);
      if (which == "utm_medium") u.set_utm_medium(v);
      if (which == "utm_campaign") u.set_utm_campaign(v);
      if (which == "utm_term") u.set_utm_term(v);
      if (which == "utm_content") u.set_utm_content(v);
    } else if (field == "external_id")
      s.set_external_id(v);
    else if (field == "engagement.type") {
      auto t = ParseEnum<v1::EngagementType>(v1::EngagementType_descriptor(), v);
      if (!t.ok()) return fail("not a known engagement type");
      s.mutable_engagement()->set_type(*t);
    } else if (field == "engagement.asset_id")
      s.mutable_engagement()->set_asset_id(v);
    else if (field == "occurred_at") {
      auto t = ParseTime(v);
      if (!t.ok()) return fail(ToStd(t.status().message()));
      *s.mutable_occurred_at() = *t;
    } else if (field == "consent.marketing_email") {
      const std::string k = AliasKey(v);
      if (k == "yes" || k == "y" || k == "true" || k == "1" || k == "granted" || k == "optin") {
        s.mutable_consent()->set_marketing_email(v1::CONSENT_STATUS_GRANTED);
      } else if (k == "no" || k == "n" || k == "false" || k == "0" || k == "denied" ||
                 k == "optout") {
        s.mutable_consent()->set_marketing_email(v1::CONSENT_STATUS_DENIED);
      } else {
        return fail("not yes/no");
      }
    } else if (StartsWith(field, "custom_attributes.")) {
      (*s.mutable_custom_attributes())[field.substr(18)] = v;
    }
  }
  return s;
}

absl::StatusOr<ImportSummary> RunImport(const ImportOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", o.file));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  // Row keys are the file's digest plus the line: importing the same file again is idempotent.
  const std::string file_id = events::UuidFromDigest(events::Sha256(text)).substr(0, 13);

  CsvReader reader(text);
  std::vector<std::string> header;
  int line = 0;
  if (!reader.Next(&header, &line))
    return absl::InvalidArgumentError(StrCat(o.file, ": empty file"));
  absl::StatusOr<ColumnMapping> mapping = BuildMapping(header, o.mappings);
  if (!mapping.ok()) return mapping.status();
  if (!mapping->unmapped.empty()) {
    std::string names;
    for (const auto& n : mapping->unmapped) StrAppend(&names, names.empty() ? "" : ", ", n);
    std::fprintf(stderr, "import: columns not imported: %s (map them with --map 'COLUMN=field')\n",
                 names.c_str());
  }

  struct Row {
    int line;
    std::vector<std::string> fields;
  };
  std::vector<Row> rows;
  std::vector<v1::LeadSubmission> submissions;           // parallel to `to_send`
  std::vector<size_t> to_send;                           // index into rows
  std::vector<std::pair<size_t, std::string>> rejected;  // row index, reason
  std::vector<std::string> fields;
  while (reader.Next(&fields, &line)) {
    rows.push_back({line, fields});
    absl::StatusOr<v1::LeadSubmission> s = RowToSubmission(fields, *mapping);
    if (!s.ok()) {
      rejected.emplace_back(rows.size() - 1, std::string(s.status().message()));
      continue;
    }
    s->set_source_system(o.source_system);
    s->set_idempotency_key(StrCat(file_id, ":", line));
    submissions.push_back(std::move(*s));
    to_send.push_back(rows.size() - 1);
  }
  if (!reader.error().empty())
    return absl::InvalidArgumentError(StrCat(o.file, ": ", reader.error()));

  ImportSummary summary;
  summary.rows = static_cast<int64_t>(rows.size());
  auto stub = v1::IntakeService::NewStub(o.security.Channel(o.intake_address));
  const bool show = o.progress && isatty(STDERR_FILENO) != 0;
  v1::StreamLeadsResponse response;
  grpc::Status status;
  for (int attempt = 1; attempt <= o.attempts; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
    response.Clear();
    std::unique_ptr<grpc::ClientWriter<v1::StreamLeadsRequest>> writer =
        stub->StreamLeads(&ctx, &response);
    v1::StreamLeadsRequest request;
    auto last_draw = std::chrono::steady_clock::now();
    for (size_t i = 0; i < submissions.size(); ++i) {
      *request.mutable_submission() = submissions[i];
      if (!writer->Write(request)) break;  // the server ended the call; Finish says why
      if (show && (std::chrono::steady_clock::now() - last_draw > std::chrono::milliseconds(100) ||
                   i + 1 == submissions.size())) {
        last_draw = std::chrono::steady_clock::now();
        const double done = static_cast<double>(i + 1) / static_cast<double>(submissions.size());
        const int width = 30;
        const int filled = static_cast<int>(done * width);
        const double secs = std::chrono::duration<double>(last_draw - started).count();
        std::fprintf(stderr, "\r[%s>%s] %zu/%zu rows %3.0f%% %6.0f rows/s",
                     std::string(filled, '=').c_str(), std::string(width - filled, ' ').c_str(),
                     i + 1, submissions.size(), done * 100,
                     secs > 0 ? static_cast<double>(i + 1) / secs : 0.0);
      }
    }
    writer->WritesDone();
    status = writer->Finish();
    if (show) std::fprintf(stderr, "\n");
    if (status.ok() || status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    std::fprintf(stderr, "import: attempt %d of %d failed (%s); retrying (rows are idempotent)\n",
                 attempt, o.attempts, status.error_message().c_str());
  }
  if (!status.ok()) {
    return absl::UnavailableError(
        StrCat("intake at ", o.intake_address, ": ", status.error_message()));
  }
  summary.accepted = response.accepted();
  summary.duplicates = response.duplicates();
  summary.rejected =
      static_cast<int64_t>(rejected.size()) + response.invalid();  // local + admission
  for (const v1::SubmissionResult& r : response.not_accepted()) {
    if (r.outcome() != v1::SUBMISSION_OUTCOME_INVALID) continue;
    std::string why;
    for (const auto& v : r.violations())
      StrAppend(&why, why.empty() ? "" : "; ", v.field(), ": ", v.description());
    rejected.emplace_back(to_send.at(static_cast<size_t>(r.index())), why);
  }
  if (static_cast<int64_t>(rejected.size()) < summary.rejected) {
    std::fprintf(stderr, "import: %lld rows rejected; the intake itemised only some of them\n",
                 static_cast<long long>(summary.rejected));
  }

  const std::string rejected_path =
      o.rejected_file.empty() ? StrCat(o.file, ".rejected.csv") : o.rejected_file;
  if (!rejected.empty()) {
    std::sort(rejected.begin(), rejected.end());
    std::ofstream out(rejected_path, std::ios::binary | std::ios::trunc);
    std::vector<std::string> head = header;
    head.push_back("line");
    head.push_back("reason");
    out << CsvLine(head);
    for (const auto& [index, why] : rejected) {
      std::vector<std::string> f = rows[index].fields;
      f.push_back(std::to_string(rows[index].line));
      f.push_back(why);
      out << CsvLine(f);
    }
    if (!out) return absl::InternalError(StrCat("cannot write ", rejected_path));
  }
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace leadflow::ctl
