// Pure normalisation and validation of the raw values marketing systems send. No I/O; every
// function is deterministic and unit-tested with values (tests/unit/intake/normalize_test.cc).
// Error messages say why a value is unacceptable and never echo the value (it may be PII).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace leadflow::intake {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);
// The reason `s` is unacceptable as text (invalid UTF-8, a control character, longer than
// `max_bytes`), or nullopt when it is fine. Tab, CR and LF are allowed only when `multiline`.
std::optional<std::string> TextProblem(std::string_view s, size_t max_bytes,
                                       bool multiline = false);
// Trims ASCII whitespace and collapses inner runs of whitespace to one space.
std::string CollapseSpaces(std::string_view s);

// An email address as the identity key: trimmed, ASCII-lowercased, the domain in IDNA (punycode)
// form. Rejects what cannot be a deliverable address: no or several '@', quoted or empty local
// parts, dots at the ends or doubled, local part over 64 bytes, address over 254, IP literals, a
// domain without a dot, labels over 63 bytes or with characters outside [a-z0-9-].
absl::StatusOr<std::string> NormalizeEmail(std::string_view raw);

// A company domain from a domain, an email or a URL ("https://www.Example.co.uk/about" →
// "example.co.uk"): scheme, user info, port, path and "www." dropped, IDN to punycode, then the
// registrable domain by the public suffix list.
absl::StatusOr<std::string> NormalizeDomain(std::string_view raw);

// Free-mail providers (gmail.com, outlook.com, ...): such a domain is a person's, not a company's.
bool IsFreeMailDomain(std::string_view domain,
                      const std::set<std::string, std::less<>>& extra = {});

// ISO 3166-1 alpha-2 from an alpha-2 or alpha-3 code or an English name (case-insensitive, with
// common aliases: "USA", "UK", "Deutschland", ...); nullopt when not recognised.
std::optional<std::string> NormalizeCountry(std::string_view raw);

// E.164 ("+4930123456") from a phone number in any common notation; `region` (alpha-2) is used
// when the number has no international prefix. Fails when no region is known for a national
// number or the number cannot be a phone number.
absl::StatusOr<std::string> NormalizePhone(std::string_view raw, std::string_view region);

// Seniority and function derived from a job title ("VP Marketing" → vp, marketing). Empty
// strings when the title says nothing recognisable.
struct TitleClass {
  std::string seniority;   // c_level, vp, director, manager, individual_contributor, student
  std::string department;  // executive, marketing, sales, it, engineering, finance, hr, ...
};
TitleClass ClassifyTitle(std::string_view title);
// A given seniority or department, normalised to the vocabulary above; "" when outside it.
std::string NormalizeSeniority(std::string_view raw);
std::string NormalizeDepartment(std::string_view raw);

// "Lead Source" → "lead_source": ASCII letters lowercased, every run of other characters one '_'.
std::string SnakeCase(std::string_view raw);

// A landing page without query string and fragment (they may carry PII).
std::string StripQueryAndFragment(std::string_view url);

}  // namespace leadflow::intake
