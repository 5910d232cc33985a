// Normalisation on Debian's libraries: libidn2 (IDNA), libpsl (public suffix list), ICU (country
// codes and English names), libphonenumber (E.164).
#include "services/intake/normalize.h"

#include <idn2.h>
#include <libpsl.h>
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "services/common/base/strings.h"

namespace leadflow::intake {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool AllAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Checks a lowercase ASCII host name: labels of [a-z0-9-], 1–63 bytes, no '-' at either end, at
// least two labels, a top-level label that is not all digits, at most 253 bytes.
absl::Status CheckHostname(std::string_view host) {
  if (host.size() > 253) return absl::InvalidArgumentError("domain longer than 253 bytes");
  size_t labels = 0;
  std::string_view last;
  for (size_t start = 0; start <= host.size();) {
    const size_t dot = std::min(host.find('.', start), host.size());
    const std::string_view label = host.substr(start, dot - start);
    if (label.empty()) return absl::InvalidArgumentError("domain has an empty label");
    if (label.size() > 63) return absl::InvalidArgumentError("domain label longer than 63 bytes");
    if (label.front() == '-' || label.back() == '-') {
      return absl::InvalidArgumentError("domain label starts or ends with '-'");
    }
    for (char c : label) {
      if (!IsAsciiAlnum(c) && c != '-') {
        return absl::InvalidArgumentError("domain has a character not allowed in a host name");
      }
    }
    ++labels;
    last = label;
    start = dot + 1;
  }
  if (labels < 2) return absl::InvalidArgumentError("domain has no top-level domain");
  if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError("domain ends in a numeric label (an IP address?)");
  }
  return absl::OkStatus();
}

// A domain as lowercase ASCII: internationalized names are converted to their IDNA form.
absl::StatusOr<std::string> AsciiDomain(std::string_view domain) {
  std::string d(domain);
  if (!d.empty() && d.back() == '.') d.pop_back();  // the root label
  if (AllAscii(d)) {
    d = AsciiStrToLower(d);
  } else {
    char* out = nullptr;
    const int rc = idn2_to_ascii_8z(d.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    std::unique_ptr<char, void (*)(void*)> owned(out, idn2_free);
    if (rc != IDN2_OK || out == nullptr) {
      return absl::InvalidArgumentError(StrCat(
          "domain is not a valid internationalized domain name (", idn2_strerror_name(rc), ")"));
    }
    d = AsciiStrToLower(out);
  }
  if (absl::Status s = CheckHostname(d); !s.ok()) return s;
  return d;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::array<uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

std::optional<std::string> TextProblem(std::string_view s, size_t max_bytes, bool multiline) {
  if (s.size() > max_bytes) return StrCat("longer than ", max_bytes, " bytes");
  if (!IsValidUtf8(s)) return std::string("not valid UTF-8");
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool allowed_space = multiline && (c == '\t' || c == '\n' || c == '\r');
    if ((c < 0x20 && !allowed_space) || c == 0x7F) {
      return std::string(c == 0 ? "contains a NUL character" : "contains a control character");
    }
    // C1 controls U+0080–U+009F: C2 80 – C2 9F.
    if (c == 0xC2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return std::string("contains a control character");
    }
  }
  return std::nullopt;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : Trim(s)) {
    if (IsSpace(c)) {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::string> NormalizeEmail(std::string_view raw) {
  const std::string_view s = Trim(raw);
  if (s.empty()) return absl::InvalidArgumentError("is empty");
  if (s.size() > 254) return absl::InvalidArgumentError("longer than 254 bytes");
  if (s.find('"') != std::string_view::npos) {
    return absl::InvalidArgumentError("quoted local parts are not accepted");
  }
  const size_t at = s.rfind('@');
  if (at == std::string_view::npos) return absl::InvalidArgumentError("has no '@'");
  if (s.find('@') != at) return absl::InvalidArgumentError("has more than one '@'");
  const std::string_view local = s.substr(0, at);
  const std::string_view domain = s.substr(at + 1);
  if (local.empty()) return absl::InvalidArgumentError("has an empty local part");
  if (local.size() > 64) return absl::InvalidArgumentError("local part longer than 64 bytes");
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return absl::InvalidArgumentError("local part has a leading, trailing or doubled dot");
  }
  static constexpr std::string_view kSpecials = "!#$%&'*+/=?^_`{|}~-.";
  for (char c : local) {
    // Bytes >= 0x80 are UTF-8 (internationalized addresses, RFC 6531); validity is checked by
    // the caller's text check.
    if (static_cast<unsigned char>(c) >= 0x80 || IsAsciiAlnum(c)) continue;
    if (kSpecials.find(c) == std::string_view::npos) {
      return absl::InvalidArgumentError("local part has a character not allowed in an address");
    }
  }
  if (domain.empty()) return absl::InvalidArgumentError("has an empty domain");
  if (domain.front() == '[')
    return absl::InvalidArgumentError("IP-literal domains are not accepted");
  absl::StatusOr<std::string> ascii = AsciiDomain(domain);
  if (!ascii.ok()) return ascii.status();
  return StrCat(AsciiStrToLower(local), "@", *ascii);
}

absl::StatusOr<std::string> NormalizeDomain(std::string_view raw) {
  std::string_view s = Trim(raw);
  if (s.empty()) return absl::InvalidArgumentError("is empty");
  if (s.size() > 2048) return absl::InvalidArgumentError("longer than 2048 bytes");
  if (const size_t scheme = s.find("://"); scheme != std::string_view::npos) {
    s.remove_prefix(scheme + 3);
  }
  s = s.substr(0, std::min(s.find_first_of("/?#"), s.size()));
  if (const size_t at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
  if (const size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    s = s.substr(0, colon);
  }
  if (s.empty()) return absl::InvalidArgumentError("has no host name");
  absl::StatusOr<std::string> ascii = AsciiDomain(s);
  if (!ascii.ok()) return ascii.status();
  static const psl_ctx_t* const psl =
      psl_builtin() != nullptr ? psl_builtin() : psl_latest(nullptr);
  if (psl == nullptr) return *ascii;  // no list available: keep the host name
  const char* registrable = psl_registrable_domain(psl, ascii->c_str());
  if (registrable == nullptr) {
    return absl::InvalidArgumentError("is a public suffix (e.g. co.uk), not a company domain");
  }
  return std::string(registrable);
}

bool IsFreeMailDomain(std::string_view domain, const std::set<std::string, std::less<>>& extra) {
  static const std::set<std::string_view> kFreeMail = {
      "163.com",        "126.com",        "aol.com",        "att.net",      "bigpond.com",
      "btinternet.com", "comcast.net",    "email.com",      "fastmail.com", "free.fr",
      "freenet.de",     "gmail.com",      "gmx.at",         "gmx.ch",       "gmx.com",
      "gmx.de",         "gmx.net",        "googlemail.com", "hey.com",      "hotmail.co.uk",
      "hotmail.com",    "hotmail.de",     "hotmail.fr",     "hotmail.it",   "icloud.com",
      "inbox.com",      "laposte.net",    "libero.it",      "live.com",     "live.co.uk",
      "mac.com",        "mail.com",       "mail.ru",        "me.com",       "msn.com",
      "naver.com",      "orange.fr",      "outlook.com",    "outlook.de",   "pm.me",
      "proton.me",      "protonmail.com", "qq.com",         "rambler.ru",   "rediffmail.com",
      "sbcglobal.net",  "seznam.cz",      "sina.com",       "t-online.de",  "tutanota.com",
      "verizon.net",    "wanadoo.fr",     "web.de",         "yahoo.co.in",  "yahoo.co.jp",
      "yahoo.co.uk",    "yahoo.com",      "yahoo.de",       "yahoo.fr",     "yandex.com",
      "yandex.ru",      "ymail.com",      "zoho.com",       "zohomail.com",
  };
  return kFreeMail.count(domain) != 0 || extra.count(domain) != 0;
}

std::optional<std::string> NormalizeCountry(std::string_view raw) {
  // Built once: alpha-2, alpha-3 and English names from ICU, plus aliases people write.
  static const std::map<std::string, std::string, std::less<>> kIndex = [] {
    std::map<std::string, std::string, std::less<>> index;
    for (const char* const* code = icu::Locale::getISOCountries(); *code != nullptr; ++code) {
      const std::string alpha2(*code);
      icu::Locale locale("", *code);
      index.emplace(AsciiStrToLower(alpha2), alpha2);
      if (const char* alpha3 = locale.getISO3Country(); alpha3 != nullptr && *alpha3 != '\0') {
        index.emplace(AsciiStrToLower(alpha3), alpha2);
      }
      icu::UnicodeString name;
      locale.getDisplayCountry(icu::Locale::getEnglish(), name);
      std::string utf8;
      name.toLower(icu::Locale::getEnglish()).toUTF8String(utf8);
      if (!utf8.empty()) index.emplace(utf8, alpha2);
    }
    static constexpr std::pair<const char*, const char*> kAliases[] = {
        {"usa", "US"},
        {"u.s.", "US"},
        {"u.s.a.", "US"},
        {"america", "US"},
        {"united states of america", "US"},
        {"uk", "GB"},
        {"u.k.", "GB"},
        {"great britain", "GB"},
        {"britain", "GB"},
        {"england", "GB"},
        {"scotland", "GB"},
        {"wales", "GB"},
        {"northern ireland", "GB"},
        {"deutschland", "DE"},
        {"holland", "NL"},
        {"the netherlands", "NL"},
        {"korea", "KR"},
        {"republic of korea", "KR"},
        {"russian federation", "RU"},
        {"czech republic", "CZ"},
        {"uae", "AE"},
        {"turkey", "TR"},
        {"türkiye", "TR"},
        {"ivory coast", "CI"},
        {"viet nam", "VN"},
        {"españa", "ES"},
        {"schweiz", "CH"},
        {"suisse", "CH"},
        {"österreich", "AT"},
        {"france", "FR"},
        {"italia", "IT"},
        {"brasil", "BR"},
    };
    for (const auto& [alias, code] : kAliases) index.emplace(alias, code);
    return index;
  }();
  const std::string key = AsciiStrToLower(CollapseSpaces(raw));
  if (key.empty()) return std::nullopt;
  auto it = kIndex.find(key);
  if (it == kIndex.end() && StartsWith(key, "the ")) it = kIndex.find(key.substr(4));
  if (it == kIndex.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> NormalizePhone(std::string_view raw, std::string_view region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  static PhoneNumberUtil* const util = [] {
    PhoneNumberUtil* u = PhoneNumberUtil::GetInstance();
    u->SetLogger(new i18n::phonenumbers::NullLogger());  // takes ownership; no stderr noise
    return u;
  }();
  std::string number = CollapseSpaces(raw);
  // "00" is the international call prefix of most of the world; without a region libphonenumber
  // would not know it.
  if (StartsWith(number, "00")) number = StrCat("+", number.substr(2));
  if (number.empty()) return absl::InvalidArgumentError("is empty");
  if (number.size() > 64) return absl::InvalidArgumentError("longer than 64 bytes");
  const bool international = number.front() == '+';
  if (!international && region.empty()) {
    return absl::InvalidArgumentError(
        "is a national number and no country is known to interpret it");
  }
  PhoneNumber parsed;
  if (util->Parse(number, region.empty() ? "ZZ" : std::string(region), &parsed) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return absl::InvalidArgumentError("is not a phone number");
  }
  if (!util->IsPossibleNumber(parsed)) {
    return absl::InvalidArgumentError("has the wrong number of digits for its country");
  }
  std::string e164;
  util->Format(parsed, PhoneNumberUtil::E164, &e164);
  return e164;
}

namespace {

// Whole-word match of `word` in `text` (both lowercase ASCII; words split on non-alphanumerics).
bool HasWord(const std::vector<std::string>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool HasPhrase(std::string_view text, std::string_view phrase) {
  const std::string padded = StrCat(" ", text, " ");
  return padded.find(StrCat(" ", phrase, " ")) != std::string::npos;
}

std::vector<std::string> Words(std::string_view lower) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : lower) {
    if (IsAsciiAlnum(c)) {
      cur.push_back(c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) StrAppend(&out, out.empty() ? "" : " ", w);
  return out;
}

}  // namespace

TitleClass ClassifyTitle(std::string_view title) {
  const std::vector<std::string> words = Words(AsciiStrToLower(title));
  const std::string text = JoinWords(words);
  TitleClass out;
  if (words.empty()) return out;

  auto any_word = [&](std::initializer_list<std::string_view> list) {
    return std::any_of(list.begin(), list.end(),
                       [&](std::string_view w) { return HasWord(words, w); });
  };
  auto any_phrase = [&](std::initializer_list<std::string_view> list) {
    return std::any_of(list.begin(), list.end(),
                       [&](std::string_view p) { return HasPhrase(text, p); });
  };

  // Seniority: the most senior signal wins.
  if (any_word({"student", "intern", "trainee", "apprentice", "undergraduate", "phd"})) {
    out.seniority = "student";
  } else if (any_word({"ceo", "cto", "cfo", "cmo", "coo", "cio", "ciso", "cro", "cpo", "cdo",
                       "founder", "cofounder", "president", "owner"}) ||
             any_phrase({"chief", "co founder", "managing director", "general manager"})) {
    out.seniority = any_phrase({"vice president"}) ? "vp" : "c_level";
  } else if (any_word({"vp", "svp", "evp", "avp"}) || any_phrase({"vice president"})) {
    out.seniority = "vp";
  } else if (any_word({"director", "head"})) {
    out.seniority = "director";
  } else if (any_word({"manager", "mgr", "lead", "supervisor", "principal"})) {
    out.seniority = "manager";
  } else {
    out.seniority = "individual_contributor";
  }

  // Function: the first matching family, in an order that resolves overlaps ("marketing
  // operations" is marketing, "sales engineer" is sales).
  struct Family {
    const char* department;
    std::initializer_list<std::string_view> words;
  };
  static const Family kFamilies[] = {
      {"marketing",
       {"marketing", "cmo", "brand", "demand", "growth", "content", "seo", "communications", "pr"}},
      {"sales", {"sales", "cro", "account", "bdr", "sdr", "revenue"}},
      {"it",
       {"it", "cio", "ciso", "infrastructure", "security", "sysadmin", "network", "helpdesk",
        "systems"}},
      {"engineering",
       {"engineering", "engineer", "developer", "cto", "software", "architect", "devops",
        "programmer"}},
      {"product", {"product", "cpo", "ux", "design", "designer"}},
      {"data", {"data", "analytics", "cdo", "scientist", "bi"}},
      {"finance",
       {"finance", "cfo", "accounting", "accountant", "controller", "treasury", "financial"}},
      {"hr", {"hr", "people", "talent", "recruiter", "recruiting", "human"}},
      {"operations",
       {"operations", "coo", "ops", "logistics", "supply", "procurement", "purchasing"}},
      {"legal", {"legal", "counsel", "lawyer", "attorney", "compliance"}},
      {"customer_success", {"customer", "support", "success", "service"}},
      {"education", {"student", "teacher", "professor", "lecturer", "researcher"}},
  };
  for (const Family& f : kFamilies) {
    if (std::any_of(f.words.begin(), f.words.end(),
                    [&](std::string_view w) { return HasWord(words, w); })) {
      out.department = f.department;
      break;
    }
  }
  if (out.department.empty() && out.seniority == "c_level") out.department = "executive";
  return out;
}

std::string NormalizeSeniority(std::string_view raw) {
  static const std::map<std::string, std::string, std::less<>> kMap = {
      {"c_level", "c_level"},
      {"c_suite", "c_level"},
      {"executive", "c_level"},
      {"cxo", "c_level"},
      {"vp", "vp"},
      {"vice_president", "vp"},
      {"director", "director"},
      {"manager", "manager"},
      {"individual_contributor", "individual_contributor"},
      {"ic", "individual_contributor"},
      {"staff", "individual_contributor"},
      {"entry", "individual_contributor"},
      {"student", "student"},
      {"intern", "student"},
  };
  auto it = kMap.find(SnakeCase(raw));
  return it == kMap.end() ? std::string() : it->second;
}

std::string NormalizeDepartment(std::string_view raw) {
  static const std::set<std::string, std::less<>> kDepartments = {
      "executive", "marketing", "sales",      "it",    "engineering",      "product",  "data",
      "finance",   "hr",        "operations", "legal", "customer_success", "education"};
  static const std::map<std::string, std::string, std::less<>> kAliases = {
      {"information_technology", "it"},
      {"human_resources", "hr"},
      {"people", "hr"},
      {"r_d", "engineering"},
      {"research_and_development", "engineering"},
      {"support", "customer_success"},
      {"customer_service", "customer_success"},
      {"management", "executive"},
      {"ops", "operations"},
  };
  const std::string key = SnakeCase(raw);
  if (kDepartments.count(key) != 0) return key;
  auto it = kAliases.find(key);
  return it == kAliases.end() ? std::string() : it->second;
}

std::string SnakeCase(std::string_view raw) {
  std::string out;
  bool gap = false;
  for (char c : Trim(raw)) {
    if (IsAsciiAlnum(c)) {
      if (gap && !out.empty()) out.push_back('_');
      gap = false;
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    } else {
      gap = true;
    }
  }
  return out;
}

std::string StripQueryAndFragment(std::string_view url) {
  const std::string_view s = Trim(url);
  return std::string(s.substr(0, std::min(s.find_first_of("?#"), s.size())));
}

}  // namespace leadflow::intake
