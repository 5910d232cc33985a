// The CSV side of `leadflowctl import`: RFC 4180 parsing, header mapping, row conversion.
#include "tools/leadflowctl/csv_import.h"
#include "gtest/gtest.h"

namespace leadflow::ctl {
namespace {

std::vector<std::vector<std::string>> ReadAll(const std::string& text,
                                              std::vector<int>* lines = nullptr) {
  CsvReader r(text);
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> fields;
  int line = 0;
  while (r.Next(&fields, &line)) {
    out.push_back(fields);
    if (lines != nullptr) lines->push_back(line);
  }
  EXPECT_EQ(r.error(), "");
  return out;
}

TEST(CsvReaderTest, QuotesCommasLineBreaksCrlfAndBom) {
  std::vector<int> lines;
  const auto rows = ReadAll(
      "\xEF\xBB\xBFName,Email,Note\r\n"
      "\"Doe, Jane\",jane@example.com,\"said \"\"hi\"\"\"\r\n"
      "\r\n"
      "Bob,bob@example.com,\"two\nlines\"\n"
      "Eve,eve@example.com,\n",
      &lines);
  ASSERT_EQ(rows.size(), 4U);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"Name", "Email", "Note"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"Doe, Jane", "jane@example.com", "said \"hi\""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"Bob", "bob@example.com", "two\nlines"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"Eve", "eve@example.com", ""}));
  EXPECT_EQ(lines, (std::vector<int>{1, 2, 4, 6}));
}

TEST(CsvReaderTest, UnclosedQuoteIsAnError) {
  CsvReader r("a,b\n\"open,c\n");
  std::vector<std::string> fields;
  int line = 0;
  while (r.Next(&fields, &line)) {
  }
  EXPECT_EQ(r.error(), "line 2: a quoted field is not closed before the end of the file");
}

TEST(MappingTest, HeadersMapByAliasAndExplicitEntriesWin) {
  const std::vector<std::string> header = {"E-mail Address", "First Name", "Company", "Budget",
                                           "Booth"};
  auto m = BuildMapping(header, {"Budget=custom_attributes.budget", "Company=-"});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->field_of_column.at(0), "person.email");
  EXPECT_EQ(m->field_of_column.at(1), "person.first_name");
  EXPECT_EQ(m->field_of_column.count(2), 0U) << "skipped with '-'";
  EXPECT_EQ(m->field_of_column.at(3), "custom_attributes.budget");
  EXPECT_EQ(m->unmapped, (std::vector<std::string>{"Company", "Booth"}));

  EXPECT_NE(std::string(BuildMapping(header, {"Budget=person.shoe_size"}).status().message())
                .find("unknown field 'person.shoe_size'"),
            std::string::npos);
  EXPECT_NE(std::string(BuildMapping(header, {"Nope=person.phone"}).status().message())
                .find("no column 'Nope'"),
            std::string::npos);
  EXPECT_NE(std::string(BuildMapping({"Name"}, {}).status().message()).find("person.email"),
            std::string::npos);
}

TEST(RowTest, ValuesBecomeSubmissionFieldsOrAPreciseError) {
  const std::vector<std::string> header = {"Email",    "Name", "Employees", "Channel",
                                           "Activity", "Date", "Opt-in"};
  auto m = BuildMapping(header, {});
  ASSERT_TRUE(m.ok());
  auto s = RowToSubmission({"a@example.com", "Mary Ann Lee", "1,200", "Paid Search",
                            "webinar attended", "2026-03-01", "yes"},
                           *m);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->person().email(), "a@example.com");
  EXPECT_EQ(s->person().first_name(), "Mary Ann");
  EXPECT_EQ(s->person().last_name(), "Lee");
  EXPECT_EQ(s->company().employee_count(), 1200);
  EXPECT_EQ(s->source().channel(), v1::CHANNEL_PAID_SEARCH);
  EXPECT_EQ(s->engagement().type(), v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED);
  EXPECT_EQ(s->occurred_at().seconds(), 1772323200);
  EXPECT_EQ(s->consent().marketing_email(), v1::CONSENT_STATUS_GRANTED);

  EXPECT_EQ(RowToSubmission({"a@example.com", "", "lots"}, *m).status().message(),
            "company.employee_count: not a whole number");
  EXPECT_EQ(RowToSubmission({"a@example.com", "", "", "carrier pigeon"}, *m).status().message(),
            "source.channel: not a known channel");
  EXPECT_EQ(RowToSubmission({"a@example.com", "", "", "", "", "yesterday"}, *m).status().message(),
            "occurred_at: not an RFC 3339 time or YYYY-MM-DD date");
}

}  // namespace
}  // namespace leadflow::ctl
