#include "tools/demo/generator.h"

#include <algorithm>
#include <set>

#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"

namespace leadflow::demo {

using events::MillisFromTimestamp;
using events::TimestampFromMillis;

uint64_t Random::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

const char* WayInName(WayIn way) {
  switch (way) {
    case WayIn::kGrpc:
      return "grpc";
    case WayIn::kGrpcStream:
      return "grpc-stream";
    case WayIn::kHttp:
      return "http";
    case WayIn::kRawTopic:
      return "raw-topic";
    case WayIn::kCsv:
      return "csv";
  }
  return "?";
}

const char* ArchetypeName(Archetype a) {
  switch (a) {
    case Archetype::kHandRaiser:
      return "hand_raiser";
    case Archetype::kEngagedFit:
      return "engaged_fit";
    case Archetype::kColdFit:
      return "cold_fit";
    case Archetype::kWarmPoorFit:
      return "warm_poor_fit";
    case Archetype::kUnfitHandRaiser:
      return "unfit_hand_raiser";
    case Archetype::kCompetitor:
      return "competitor";
    case Archetype::kStudent:
      return "student";
    case Archetype::kRoleAddress:
      return "role_address";
    case Archetype::kExcludedMarket:
      return "excluded_market";
  }
  return "?";
}

namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// Firmographic profiles. Points against config/icp.yaml (without the revenue rule, which CSV rows
// cannot carry, and never touching a grade threshold):
//   A: mid-market or enterprise (25/15) + target industry (20) + core market (10) + senior (20)
//      + buying function (15) = 80–100 (≥ 70)
//   B: small business (10) + target industry (20) + core market (10) + manager (10) + buying
//      function (15) = 65 (50–69)
//   C: small business (10) + core market (10) + director (20), other industry and function = 40
//   D: free mail (−15), no firmographics = 0
struct Company {
  std::string name;
  std::string domain;
  std::string industry;
  int employees = 0;
  int64_t revenue_eur = 0;
  std::string country;
};

const std::vector<std::string> kCoreCountries = {"US", "US", "US", "CA", "GB", "DE",
                                                 "FR", "NL", "SE", "IE", "CH"};
const std::vector<std::string> kTargetIndustries = {"software", "saas", "fintech", "it services"};
const std::vector<std::string> kOtherIndustries = {"retail",    "manufacturing", "healthcare",
                                                   "logistics", "education",     "construction"};
const std::vector<std::string> kNamePrefixes = {
    "Northwind", "Bluefin", "Copperleaf", "Brightline", "Harbor",  "Quantum",  "Silverpine",
    "Redwood",   "Lumen",   "Vantage",    "Keystone",   "Orbit",   "Meridian", "Tidewater",
    "Granite",   "Beacon",  "Summit",     "Cobalt",     "Juniper", "Atlas"};
const std::vector<std::string> kNameSuffixes = {"Analytics", "Systems", "Labs",     "Cloud",
                                                "Software",  "Data",    "Networks", "Works",
                                                "Logistics", "Health",  "Retail",   "Payments"};
const std::vector<std::string> kFirstNames = {
    "Anna", "Ben",  "Chiara", "David", "Elena", "Farid", "Grace", "Hugo",  "Ines",    "Jonas",
    "Kira", "Liam", "Maya",   "Noah",  "Olga",  "Pablo", "Quinn", "Rosa",  "Sven",    "Tara",
    "Umar", "Vera", "Wei",    "Xenia", "Yusuf", "Zoe",   "Amara", "Björn", "Camille", "Diego"};
const std::vector<std::string> kLastNames = {
    "Schmidt", "Johnson", "Rossi",  "Dubois",   "Nakamura", "Okafor", "Larsen", "Novak",
    "Garcia",  "Müller",  "Nguyen", "Kowalski", "Silva",    "Brown",  "Jansen", "Eriksson",
    "Murphy",  "Costa",   "Weber",  "Haddad",   "Kim",      "Patel",  "Moreau", "Fischer"};
const std::vector<std::string> kSeniorBuyerTitles = {"VP Marketing",
                                                     "Vice President of Sales",
                                                     "Director of Marketing",
                                                     "Head of IT",
                                                     "Chief Marketing Officer",
                                                     "Director, Demand Generation",
                                                     "Head of Sales",
                                                     "CIO"};
const std::vector<std::string> kManagerBuyerTitles = {"Marketing Manager", "Sales Manager",
                                                      "IT Manager", "Growth Manager"};
const std::vector<std::string> kDirectorOtherTitles = {"Director of Finance", "Head of HR",
                                                       "Director of Engineering", "Head of Legal"};
const std::vector<std::string> kIcTitles = {"Software Developer", "Analyst", "Consultant",
                                            "Designer"};
const std::vector<std::string> kFreeMail = {"gmail.com", "outlook.com", "yahoo.com"};
const std::vector<std::string> kCompetitorDomains = {"rival-leads.example", "funnelcorp.example"};
const std::vector<std::string> kRoleLocalParts = {"info", "sales", "contact", "hello", "office"};
const std::vector<std::string> kExcludedMarkets = {"IR", "KP", "SY", "CU"};

std::string Slug(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == ' ') {
      out += '-';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// The channel mix and, per channel, how likely each archetype is: webinars and referrals bring
// hand-raisers, paid social and content syndication bring volume of poorer quality. CSV rows are
// trade-show badge scans (channel event).
struct ChannelProfile {
  v1::Channel channel;
  int weight;
  std::vector<std::string> campaigns;
  // Weights in Archetype order.
  std::vector<int> archetypes;
};

const std::vector<ChannelProfile>& Channels() {
  //                          hand eng  cold warm unfit comp stud role excl
  static const std::vector<ChannelProfile> kChannels = {
      {v1::CHANNEL_ORGANIC_SEARCH,
       18,
       {"seo-evergreen", "blog-revops-guide"},
       {14, 12, 30, 12, 10, 3, 6, 8, 5}},
      {v1::CHANNEL_PAID_SEARCH,
       16,
       {"sem-brand-q4", "sem-competitor-q4"},
       {16, 10, 28, 14, 12, 6, 4, 6, 4}},
      {v1::CHANNEL_PAID_SOCIAL,
       14,
       {"linkedin-abm-q4", "social-retargeting"},
       {6, 8, 34, 16, 14, 4, 10, 4, 4}},
      {v1::CHANNEL_EMAIL,
       10,
       {"newsletter-nov", "nurture-reengage"},
       {10, 18, 36, 16, 8, 2, 2, 6, 2}},
      {v1::CHANNEL_WEBINAR,
       12,
       {"webinar-pipeline-math", "webinar-mql-to-sal"},
       {22, 26, 22, 12, 6, 4, 4, 2, 2}},
      {v1::CHANNEL_CONTENT_SYNDICATION,
       8,
       {"syndication-techtarget", "syndication-g2"},
       {4, 8, 40, 18, 12, 2, 10, 4, 2}},
      {v1::CHANNEL_REFERRAL, 6, {"customer-referral"}, {30, 22, 26, 10, 6, 2, 0, 2, 2}},
      {v1::CHANNEL_PARTNER,
       6,
       {"partner-si-emea", "partner-si-na"},
       {18, 18, 34, 14, 6, 2, 2, 4, 2}},
  };
  return kChannels;
}

const ChannelProfile kTradeShow = {v1::CHANNEL_EVENT,
                                   0,
                                   {"saas-connect-2026", "revops-summit-2026"},
                                   {16, 16, 34, 14, 6, 4, 6, 0, 4}};

template <typename T>
size_t PickWeighted(Random& rng, const std::vector<T>& weights) {
  T total = 0;
  for (T w : weights) total += w;
  auto r = static_cast<T>(rng.Below(static_cast<uint64_t>(total)));
  for (size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return weights.size() - 1;
}

Company MakeCompany(Random& rng, v1::FitGrade grade, int index) {
  Company c;
  c.name = StrCat(rng.Pick(kNamePrefixes), " ", rng.Pick(kNameSuffixes));
  c.domain = StrCat(Slug(c.name), "-", index, ".example");
  c.country = rng.Pick(kCoreCountries);
  switch (grade) {
    case v1::FIT_GRADE_A:
      c.industry = rng.Pick(kTargetIndustries);
      c.employees = rng.Chance(0.7) ? 250 + static_cast<int>(rng.Below(1700))    // mid-market
                                    : 2200 + static_cast<int>(rng.Below(2700));  // enterprise
      c.revenue_eur = (20 + static_cast<int64_t>(rng.Below(380))) * 1'000'000;
      break;
    case v1::FIT_GRADE_B:
      c.industry = rng.Pick(kTargetIndustries);
      c.employees = 60 + static_cast<int>(rng.Below(120));
      c.revenue_eur = (2 + static_cast<int64_t>(rng.Below(6))) * 1'000'000;
      break;
    default:  // C
      c.industry = rng.Pick(kOtherIndustries);
      c.employees = 60 + static_cast<int>(rng.Below(120));
      c.revenue_eur = (2 + static_cast<int64_t>(rng.Below(6))) * 1'000'000;
      break;
  }
  return c;
}

google::protobuf::Timestamp At(int64_t ms) { return TimestampFromMillis(ms); }

v1::Engagement Activity(v1::EngagementType type, int64_t at_ms, const v1::Source& source,
                        const std::string& asset) {
  v1::Engagement e;
  e.set_type(type);
  *e.mutable_occurred_at() = At(at_ms);
  *e.mutable_source() = source;
  e.set_asset_id(asset);
  return e;
}

// The sales plan of an MQL: accept rates by grade, rejection reasons, conversion, opportunity,
// win rate and deal size by segment.
SalesPlan PlanSales(Random& rng, v1::FitGrade grade, int employees, int index) {
  SalesPlan p;
  const double accept = grade == v1::FIT_GRADE_A ? 0.80 : grade == v1::FIT_GRADE_B ? 0.64 : 0.45;
  const double wait = 0.08;
  const double r = static_cast<double>(rng.Below(10000)) / 10000.0;
  if (r < wait) return p;  // nobody answers (yet)
  if (r >= wait + accept) {
    p.answer = SalesPlan::Answer::kReject;
    static const std::vector<v1::RejectionReason> kReasons = {
        v1::REJECTION_REASON_BAD_TIMING,       v1::REJECTION_REASON_NO_BUDGET,
        v1::REJECTION_REASON_NO_AUTHORITY,     v1::REJECTION_REASON_NO_NEED,
        v1::REJECTION_REASON_BAD_CONTACT_DATA, v1::REJECTION_REASON_NOT_ICP,
        v1::REJECTION_REASON_EXISTING_CUSTOMER};
    static const std::vector<int> kWeights = {30, 20, 14, 14, 8, 8, 6};
    p.reject_reason = kReasons[PickWeighted(rng, kWeights)];
    static const std::vector<std::string> kTexts = {
        "talked to them, not this quarter", "no budget until next fiscal year",
        "not the decision maker", "happy with their spreadsheet"};
    p.reject_text = rng.Pick(kTexts);
    return p;
  }
  p.answer = SalesPlan::Answer::kAccept;
  const double convert = grade == v1::FIT_GRADE_A ? 0.70 : grade == v1::FIT_GRADE_B ? 0.55 : 0.40;
  p.convert = rng.Chance(convert);
  if (!p.convert) return p;
  p.open = rng.Chance(0.85);
  if (!p.open) return p;
  p.opportunity_id = StrCat("opp-", index);
  // Deal size by segment, in whole hundreds of EUR.
  const int64_t lo = employees >= 1000 ? 600 : employees >= 200 ? 150 : 50;
  const int64_t span = employees >= 1000 ? 1900 : employees >= 200 ? 650 : 200;
  p.amount_micros =
      (lo + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(span)))) * 100 * 1'000'000;
  p.products = {"core"};
  if (rng.Chance(0.4)) p.products.push_back("analytics");
  if (employees >= 1000 && rng.Chance(0.5)) p.products.push_back("enterprise-support");
  const double won = grade == v1::FIT_GRADE_A ? 0.42 : 0.30;
  const double close = static_cast<double>(rng.Below(10000)) / 10000.0;
  static const std::vector<std::string> kCompetitors = {"Rival Leads", "FunnelCorp", "PipeMaster"};
  if (close < won) {
    p.close = SalesPlan::Close::kWon;
    static const std::vector<std::string> kWinReasons = {"product_fit", "integrations",
                                                         "time_to_value"};
    p.close_reason = rng.Pick(kWinReasons);
    if (rng.Chance(0.3)) p.competitor = rng.Pick(kCompetitors);
  } else if (close < won + 0.40) {
    p.close = SalesPlan::Close::kLost;
    static const std::vector<std::string> kLossReasons = {"price", "timing", "no_decision",
                                                          "budget", "competitor_signed"};
    static const std::vector<int> kLossWeights = {28, 22, 20, 12, 18};
    p.close_reason = kLossReasons[PickWeighted(rng, kLossWeights)];
    if (p.close_reason == "competitor_signed" || rng.Chance(0.25)) {
      p.competitor = rng.Pick(kCompetitors);
    }
  }
  return p;
}

}  // namespace

DemoDataSet Generate(const DemoOptions& options) {
  DemoDataSet set;
  set.options = options;
  if (set.options.tag.empty()) set.options.tag = StrCat("s", options.seed);
  const std::string& tag = set.options.tag;
  Random rng(options.seed * 0x2545f4914f6cdd1dULL + 1);
  const int64_t now = options.now_ms;
  const int64_t history = std::max<int64_t>(1, options.history_days) * kDay;
  std::set<std::string> role_addresses;

  set.leads.reserve(static_cast<size_t>(std::max(0, options.leads)));
  for (int i = 0; i < options.leads; ++i) {
    DemoLead lead;
    lead.index = i;
    // Ways in: a fifth each, in a fixed rotation so every way carries every archetype.
    lead.way_in = static_cast<WayIn>(i % 5);
    std::vector<int> channel_weights;
    for (const ChannelProfile& c : Channels()) channel_weights.push_back(c.weight);
    const ChannelProfile& channel =
        lead.way_in == WayIn::kCsv ? kTradeShow : Channels()[PickWeighted(rng, channel_weights)];
    lead.archetype = static_cast<Archetype>(PickWeighted(rng, channel.archetypes));

    // Grade by construction.
    switch (lead.archetype) {
      case Archetype::kHandRaiser: {
        static const std::vector<int> kGrades = {45, 35, 20};
        lead.grade = static_cast<v1::FitGrade>(1 + PickWeighted(rng, kGrades));
        break;
      }
      case Archetype::kEngagedFit:
        lead.grade = rng.Chance(0.55) ? v1::FIT_GRADE_A : v1::FIT_GRADE_B;
        break;
      case Archetype::kColdFit:
        lead.grade = rng.Chance(0.5) ? v1::FIT_GRADE_A : v1::FIT_GRADE_B;
        break;
      case Archetype::kWarmPoorFit:
        lead.grade = v1::FIT_GRADE_C;
        break;
      case Archetype::kUnfitHandRaiser:
        lead.grade = v1::FIT_GRADE_D;
        break;
      default:  // disqualified: the firmographics of a good fit, which the exclusion overrides
        lead.grade = v1::FIT_GRADE_A;
        break;
    }

    Company company = MakeCompany(rng, lead.grade == v1::FIT_GRADE_D ? v1::FIT_GRADE_C : lead.grade,
                                  static_cast<int>(rng.Below(400)));
    const std::string first = rng.Pick(kFirstNames);
    const std::string last = rng.Pick(kLastNames);
    std::string title;
    switch (lead.grade) {
      case v1::FIT_GRADE_A:
        title = rng.Pick(kSeniorBuyerTitles);
        break;
      case v1::FIT_GRADE_B:
        title = rng.Pick(kManagerBuyerTitles);
        break;
      case v1::FIT_GRADE_C:
        title = rng.Pick(kDirectorOtherTitles);
        break;
      default:
        title = rng.Pick(kIcTitles);
        break;
    }
    std::string local =
        StrCat(AsciiStrToLower(first), ".", AsciiStrToLower(last), ".", tag, "n", i);
    // Names with diacritics keep them in the name, not in the address.
    std::string ascii_local;
    for (char c : local) {
      if (static_cast<unsigned char>(c) < 0x80) ascii_local += c;
    }
    std::string email = StrCat(ascii_local, "@", company.domain);
    switch (lead.archetype) {
      case Archetype::kUnfitHandRaiser:
        email = StrCat(ascii_local, "@", rng.Pick(kFreeMail));
        company.domain.clear();
        company.country = "BR";
        company.industry.clear();
        company.employees = 0;
        company.revenue_eur = 0;
        break;
      case Archetype::kCompetitor:
        company.domain = rng.Pick(kCompetitorDomains);
        company.name = company.domain == "rival-leads.example" ? "Rival Leads" : "FunnelCorp";
        email = StrCat(ascii_local, "@", company.domain);
        lead.disqualification_reason = "competitor";
        break;
      case Archetype::kStudent:
        title = rng.Chance(0.5) ? "Marketing Student" : "Sales Intern";
        lead.disqualification_reason = "not_a_buyer";
        break;
      case Archetype::kRoleAddress: {
        // A shared mailbox of a company: unique within the data set.
        std::string role = rng.Pick(kRoleLocalParts);
        email = StrCat(role, "@", company.domain);
        for (int k = 0; role_addresses.count(email) != 0; ++k) {
          email = StrCat(kRoleLocalParts[static_cast<size_t>(k) % kRoleLocalParts.size()], "@",
                         Slug(company.name), "-", tag, "-", i, "-", k, ".example");
        }
        role_addresses.insert(email);
        lead.disqualification_reason = "invalid_contact";
        break;
      }
      case Archetype::kExcludedMarket:
        company.country = rng.Pick(kExcludedMarkets);
        lead.disqualification_reason = "not_icp";
        break;
      default:
        break;
    }

    // The capture: days ago, usually by a form fill (trade-show badges carry no activity).
    const int64_t captured =
        now - kHour - static_cast<int64_t>(rng.Below(static_cast<uint64_t>(history - kHour)));
    v1::Source source;
    source.set_source_system(lead.way_in == WayIn::kCsv ? "tradeshow-scanner"
                                                        : "marketing-automation");
    source.set_channel(channel.channel);
    source.set_campaign_id(rng.Pick(channel.campaigns));
    source.mutable_utm()->set_utm_campaign(source.campaign_id());
    *source.mutable_touched_at() = At(captured);
    v1::LeadSubmission& s = lead.submission;
    s.set_idempotency_key(StrCat("demo-", tag, "-", i, "-capture"));
    s.set_source_system(source.source_system());
    s.set_external_id(StrCat("ext-", tag, "-", i));
    *s.mutable_occurred_at() = At(captured);
    v1::Person& p = *s.mutable_person();
    p.set_first_name(first);
    p.set_last_name(last);
    p.set_email(email);
    p.set_job_title(title);
    p.set_country_code(company.country);
    v1::Company& c = *s.mutable_company();
    c.set_name(company.name);
    c.set_domain(company.domain);
    c.set_industry(company.industry);
    c.set_employee_count(company.employees);
    c.set_country_code(company.country);
    if (company.revenue_eur > 0 && lead.way_in != WayIn::kCsv) {
      c.mutable_annual_revenue()->set_currency_code("EUR");
      c.mutable_annual_revenue()->set_amount_micros(company.revenue_eur * 1'000'000);
    }
    *s.mutable_source() = source;
    s.mutable_consent()->set_marketing_email(v1::CONSENT_STATUS_GRANTED);
    s.mutable_consent()->set_lawful_basis("consent");
    *s.mutable_consent()->mutable_recorded_at() = At(captured);
    if (lead.way_in != WayIn::kCsv) {
      *s.mutable_engagement() =
          Activity(v1::ENGAGEMENT_TYPE_FORM_FILL, captured, source, "form-" + source.campaign_id());
    }

    // Engagement over time. The activity that qualifies a lead is its last one and lies in the
    // hour before `now` (SLA deadlines are counted from it); everything before stays below every
    // gate (capture ≤ 10 points; A needs 20, B 35, C 60):
    //   hand raiser:   page views, then a demo/pricing/contact request          → MQL (hand raiser)
    //   engaged A:     content download (≤ 18), then a trial signup (≥ 30)       → MQL
    //   engaged B:     download, webinar attended (≤ 33), then a trial signup (≥ 45) → MQL
    //   cold:          at most 3 page views (≤ 13)                               → INQUIRY
    //   warm C:        download, webinar, click (≤ 36 < 60)                      → INQUIRY
    //   unfit raiser:  a demo request at grade D                                 → INQUIRY
    //   disqualified:  a page view (the exclusion decides)                       → DISQUALIFIED
    const int64_t burst = now - kHour + static_cast<int64_t>(rng.Below(50)) * kMinute;
    auto later = [&](int64_t base, int64_t step) { return base + step * kMinute; };
    const int64_t span = std::max<int64_t>(1, (burst - captured) / kMinute);
    auto between = [&]() {
      return captured + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(span))) * kMinute;
    };
    switch (lead.archetype) {
      case Archetype::kHandRaiser:
      case Archetype::kUnfitHandRaiser: {
        lead.engagements.push_back(
            Activity(v1::ENGAGEMENT_TYPE_PAGE_VIEW, between(), source, "/pricing"));
        static const std::vector<v1::EngagementType> kHands = {v1::ENGAGEMENT_TYPE_DEMO_REQUEST,
                                                               v1::ENGAGEMENT_TYPE_PRICING_REQUEST,
                                                               v1::ENGAGEMENT_TYPE_CONTACT_REQUEST};
        lead.engagements.push_back(Activity(rng.Pick(kHands), burst, source, "/demo"));
        break;
      }
      case Archetype::kEngagedFit:
        lead.engagements.push_back(
            Activity(v1::ENGAGEMENT_TYPE_CONTENT_DOWNLOAD, between(), source, "ebook-revops"));
        if (lead.grade == v1::FIT_GRADE_B) {
          lead.engagements.push_back(Activity(v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED,
                                              later(burst, -10), source, "webinar-live"));
        }
        lead.engagements.push_back(
            Activity(v1::ENGAGEMENT_TYPE_TRIAL_SIGNUP, burst, source, "trial"));
        break;
      case Archetype::kColdFit: {
        const int views = static_cast<int>(rng.Below(4));
        for (int k = 0; k < views; ++k) {
          lead.engagements.push_back(
              Activity(v1::ENGAGEMENT_TYPE_PAGE_VIEW, between(), source, "/blog"));
        }
        break;
      }
      case Archetype::kWarmPoorFit:
        lead.engagements.push_back(
            Activity(v1::ENGAGEMENT_TYPE_CONTENT_DOWNLOAD, between(), source, "ebook-revops"));
        lead.engagements.push_back(Activity(v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, later(burst, -10),
                                            source, "webinar-live"));
        lead.engagements.push_back(
            Activity(v1::ENGAGEMENT_TYPE_EMAIL_CLICK, burst, source, "email-cta"));
        break;
      default:
        lead.engagements.push_back(Activity(v1::ENGAGEMENT_TYPE_PAGE_VIEW, between(), source, "/"));
        break;
    }
    std::stable_sort(lead.engagements.begin(), lead.engagements.end(),
                     [](const v1::Engagement& a, const v1::Engagement& b) {
                       return MillisFromTimestamp(a.occurred_at()) <
                              MillisFromTimestamp(b.occurred_at());
                     });

    switch (lead.archetype) {
      case Archetype::kHandRaiser:
      case Archetype::kEngagedFit:
        lead.gate = v1::STAGE_MQL;
        lead.plan = PlanSales(rng, lead.grade, company.employees, i);
        break;
      case Archetype::kCompetitor:
      case Archetype::kStudent:
      case Archetype::kRoleAddress:
      case Archetype::kExcludedMarket:
        lead.gate = v1::STAGE_DISQUALIFIED;
        break;
      default:
        lead.gate = v1::STAGE_INQUIRY;
        break;
    }
    set.leads.push_back(std::move(lead));
  }
  return set;
}

}  // namespace leadflow::demo
