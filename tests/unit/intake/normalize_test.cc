// Normalisation, table-driven: what marketing systems really send, and hostile input.
#include <string>

#include "gtest/gtest.h"
#include "services/intake/normalize.h"

namespace leadflow::intake {
namespace {

struct EmailCase {
  std::string raw;
  std::string normalized;  // "" = rejected
  std::string why;         // substring of the rejection
};

TEST(NormalizeEmailTest, Table) {
  const EmailCase cases[] = {
      {"  Jane.Doe@Example.COM ", "jane.doe@example.com", ""},
      {"jane+webinar@example.co.uk", "jane+webinar@example.co.uk", ""},
      {"o'brien@example.ie", "o'brien@example.ie", ""},
      {"jane@example.com.", "jane@example.com", ""},
      {"jürgen@müller.de", "jürgen@xn--mller-kva.de", ""},  // IDN domain → punycode
      {"info@bücher.example", "info@xn--bcher-kva.example", ""},
      {"jane@xn--mller-kva.de", "jane@xn--mller-kva.de", ""},
      {"", "", "is empty"},
      {"jane", "", "has no '@'"},
      {"jane@@example.com", "", "more than one '@'"},
      {"a@b@example.com", "", "more than one '@'"},
      {"@example.com", "", "empty local part"},
      {"jane@", "", "empty domain"},
      {".jane@example.com", "", "dot"},
      {"jane.@example.com", "", "dot"},
      {"ja..ne@example.com", "", "dot"},
      {"\"jane doe\"@example.com", "", "quoted"},
      {"jane doe@example.com", "", "not allowed"},
      {"jane<script>@example.com", "", "not allowed"},
      {"jane@[192.168.0.1]", "", "IP-literal"},
      {"jane@localhost", "", "no top-level domain"},
      {"jane@example", "", "no top-level domain"},
      {"jane@exa_mple.com", "", "not allowed in a host name"},
      {"jane@-example.com", "", "starts or ends"},
      {"jane@example..com", "", "empty label"},
      {"jane@192.168.0.1", "", "numeric"},
      {std::string(65, 'a') + "@example.com", "", "local part longer than 64"},
      {"a@" + std::string(250, 'b') + ".com", "", "longer than 254"},
      {"jane@" + std::string(64, 'b') + ".com", "", "label longer than 63"},
  };
  for (const EmailCase& c : cases) {
    absl::StatusOr<std::string> got = NormalizeEmail(c.raw);
    if (c.normalized.empty()) {
      ASSERT_FALSE(got.ok()) << c.raw << " → " << *got;
      EXPECT_NE(std::string(got.status().message()).find(c.why), std::string::npos)
          << c.raw << ": " << got.status().message();
      EXPECT_EQ(std::string(got.status().message()).find(c.raw.empty() ? "\x01" : c.raw),
                std::string::npos)
          << "the reason must not echo the value";
    } else {
      ASSERT_TRUE(got.ok()) << c.raw << ": " << got.status();
      EXPECT_EQ(*got, c.normalized) << c.raw;
    }
  }
}

TEST(NormalizeDomainTest, Table) {
  const std::pair<std::string, std::string> ok[] = {
      {"example.com", "example.com"},
      {"WWW.Example.com", "example.com"},
      {"https://www.example.co.uk/about?x=1#top", "example.co.uk"},
      {"http://user:pw@shop.example.com:8080/", "example.com"},
      {"eu.mail.acme.co.uk", "acme.co.uk"},
      {"müller.de", "xn--mller-kva.de"},
      {"jane@example.org", "example.org"},
  };
  for (const auto& [raw, want] : ok) {
    absl::StatusOr<std::string> got = NormalizeDomain(raw);
    ASSERT_TRUE(got.ok()) << raw << ": " << got.status();
    EXPECT_EQ(*got, want) << raw;
  }
  for (const std::string bad : {"", "co.uk", "https://", "not a domain", "example"}) {
    EXPECT_FALSE(NormalizeDomain(bad).ok()) << bad;
  }
}

TEST(FreeMailTest, KnownProvidersAndExtras) {
  EXPECT_TRUE(IsFreeMailDomain("gmail.com"));
  EXPECT_TRUE(IsFreeMailDomain("outlook.com"));
  EXPECT_TRUE(IsFreeMailDomain("web.de"));
  EXPECT_FALSE(IsFreeMailDomain("example.com"));
  EXPECT_TRUE(IsFreeMailDomain("mailbox.example", {"mailbox.example"}));
}

TEST(NormalizeCountryTest, CodesNamesAndAliases) {
  const std::pair<std::string, std::string> ok[] = {
      {"DE", "DE"},      {"de", "DE"},          {"DEU", "DE"},
      {"Germany", "DE"}, {"deutschland", "DE"}, {"United States", "US"},
      {"USA", "US"},     {"u.s.a.", "US"},      {"United Kingdom", "GB"},
      {"UK", "GB"},      {"GBR", "GB"},         {" the  Netherlands ", "NL"},
      {"France", "FR"},  {"japan", "JP"},       {"Brazil", "BR"},
      {"india", "IN"},
  };
  for (const auto& [raw, want] : ok) {
    std::optional<std::string> got = NormalizeCountry(raw);
    ASSERT_TRUE(got.has_value()) << raw;
    EXPECT_EQ(*got, want) << raw;
  }
  for (const std::string bad : {"", "Atlantis", "XX", "'; DROP TABLE leads; --"}) {
    EXPECT_FALSE(NormalizeCountry(bad).has_value()) << bad;
  }
}

TEST(NormalizePhoneTest, E164WhereTheCountryIsKnown) {
  struct Case {
    std::string raw, region, want;
  };
  const Case ok[] = {
      {"+49 30 1234567", "", "+49301234567"},
      {"030 1234567", "DE", "+49301234567"},
      {"(415) 555-2671", "US", "+14155552671"},
      {"+1 415-555-2671", "GB", "+14155552671"},  // the international prefix wins
      {"0044 20 7946 0958", "", "+442079460958"},
      {"020 7946 0958", "GB", "+442079460958"},
  };
  for (const Case& c : ok) {
    absl::StatusOr<std::string> got = NormalizePhone(c.raw, c.region);
    ASSERT_TRUE(got.ok()) << c.raw << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.raw;
  }
  EXPECT_NE(std::string(NormalizePhone("030 1234567", "").status().message()).find("no country"),
            std::string::npos);
  EXPECT_FALSE(NormalizePhone("call me maybe", "US").ok());
  EXPECT_FALSE(NormalizePhone("+1 2", "").ok());
  EXPECT_FALSE(NormalizePhone("", "US").ok());
}

TEST(ClassifyTitleTest, SeniorityAndFunction) {
  struct Case {
    std::string title, seniority, department;
  };
  const Case cases[] = {
      {"Chief Marketing Officer", "c_level", "marketing"},
      {"CEO & Co-Founder", "c_level", "executive"},
      {"CTO", "c_level", "engineering"},
      {"VP Sales EMEA", "vp", "sales"},
      {"Vice President, Finance", "vp", "finance"},
      {"SVP Engineering", "vp", "engineering"},
      {"Director of IT", "director", "it"},
      {"Head of Demand Generation", "director", "marketing"},
      {"Marketing Operations Manager", "manager", "marketing"},
      {"Senior Software Engineer", "individual_contributor", "engineering"},
      {"Data Scientist", "individual_contributor", "data"},
      {"HR Business Partner", "individual_contributor", "hr"},
      {"Account Executive", "individual_contributor", "sales"},
      {"Marketing Intern", "student", "marketing"},
      {"PhD Student", "student", "education"},
      {"", "", ""},
      {"<script>alert(1)</script>", "individual_contributor", ""},
  };
  for (const Case& c : cases) {
    const TitleClass got = ClassifyTitle(c.title);
    EXPECT_EQ(got.seniority, c.seniority) << c.title;
    EXPECT_EQ(got.department, c.department) << c.title;
  }
  EXPECT_EQ(NormalizeSeniority("C-Suite"), "c_level");
  EXPECT_EQ(NormalizeSeniority("Vice President"), "vp");
  EXPECT_EQ(NormalizeSeniority("wizard"), "");
  EXPECT_EQ(NormalizeDepartment("Human Resources"), "hr");
  EXPECT_EQ(NormalizeDepartment("Marketing"), "marketing");
  EXPECT_EQ(NormalizeDepartment("astrology"), "");
}

TEST(TextTest, Utf8ControlsAndLength) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Zoë Ødegård 日本 🚀"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("abc\xe2\x82"));       // truncated
  EXPECT_EQ(TextProblem(std::string("a\0b", 3), 10), "contains a NUL character");
  EXPECT_EQ(TextProblem("a\x1b[31mb", 10), "contains a control character");
  EXPECT_EQ(TextProblem("a\xc2\x85z", 10), "contains a control character");  // U+0085
  EXPECT_EQ(TextProblem("line\nbreak", 20), "contains a control character");
  EXPECT_EQ(TextProblem("line\nbreak", 20, /*multiline=*/true), std::nullopt);
  EXPECT_EQ(TextProblem(std::string(1 << 20, 'x'), 256), "longer than 256 bytes");
  EXPECT_EQ(TextProblem("Robert'); DROP TABLE leads;--", 256), std::nullopt);  // data, not code
  EXPECT_EQ(CollapseSpaces("  Jane \t  Doe  "), "Jane Doe");
  EXPECT_EQ(SnakeCase(" Lead Source (2024) "), "lead_source_2024");
  EXPECT_EQ(StripQueryAndFragment("https://example.com/demo?email=jane@x.com#form"),
            "https://example.com/demo");
}

}  // namespace
}  // namespace leadflow::intake
