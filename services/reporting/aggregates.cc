#include "services/reporting/aggregates.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/reporting/facts.h"

namespace leadflow::reporting {
namespace {

using events::MillisFromTimestamp;
using events::TimestampFromMillis;

template <typename C, typename V>
bool In(const C& c, const V& v) {
  return c.empty() || std::find(c.begin(), c.end(), v) != c.end();
}

const v1::Source& Touch(const v1::LeadCycleFacts& r, const v1::ReportQuery& q) {
  return q.attribution() == v1::ATTRIBUTION_TOUCH_LAST ? r.last_touch() : r.first_touch();
}

struct Range {
  int64_t start = 0;
  int64_t end = 0;
  bool Contains(int64_t t) const { return t >= start && t < end; }
};

absl::StatusOr<Range> RangeOf(const v1::ReportQuery& q, int64_t now_ms) {
  Range r;
  r.start = q.range().has_start() ? MillisFromTimestamp(q.range().start()) : 0;
  r.end = q.range().has_end() ? MillisFromTimestamp(q.range().end()) : now_ms + 1;
  if (r.end <= r.start) return absl::InvalidArgumentError("query.range: end must be after start");
  return r;
}

// The start of `t`'s bucket (UTC), or nullopt without bucketing.
std::optional<int64_t> BucketStart(v1::TimeBucket bucket, int64_t t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMillis(t), utc);
  auto ms = [&](absl::CivilDay d) { return absl::ToUnixMillis(absl::FromCivil(d, utc)); };
  switch (bucket) {
    case v1::TIME_BUCKET_DAY:
      return ms(day);
    case v1::TIME_BUCKET_WEEK:
      return ms(absl::PrevWeekday(day + 1, absl::Weekday::monday));
    case v1::TIME_BUCKET_MONTH:
      return ms(absl::CivilDay(absl::CivilMonth(day)));
    case v1::TIME_BUCKET_QUARTER: {
      const absl::CivilMonth m(day);
      return ms(absl::CivilDay(absl::CivilMonth(m.year(), 1 + (m.month() - 1) / 3 * 3)));
    }
    default:
      return std::nullopt;
  }
}

// `r`'s value of dimension `d`; `currency`, when set, is the row's currency instead of its
// amount's (a report whose money is not the row's own amount).
absl::StatusOr<std::string> DimensionValueOf(const v1::LeadCycleFacts& r, const v1::ReportQuery& q,
                                             v1::ReportDimension d,
                                             const std::string* currency = nullptr) {
  switch (d) {
    case v1::REPORT_DIMENSION_SOURCE_SYSTEM:
      return Touch(r, q).source_system();
    case v1::REPORT_DIMENSION_CHANNEL:
      return Touch(r, q).channel() == v1::CHANNEL_UNSPECIFIED
                 ? std::string()
                 : v1::Channel_Name(Touch(r, q).channel());
    case v1::REPORT_DIMENSION_CAMPAIGN:
      return Touch(r, q).campaign_id();
    case v1::REPORT_DIMENSION_FIT_GRADE:
      return r.fit_grade() == v1::FIT_GRADE_UNSPECIFIED ? std::string()
                                                        : v1::FitGrade_Name(r.fit_grade());
    case v1::REPORT_DIMENSION_SEGMENT:
      return r.segment();
    case v1::REPORT_DIMENSION_TERRITORY:
      return r.territory();
    case v1::REPORT_DIMENSION_QUEUE:
      return r.queue();
    case v1::REPORT_DIMENSION_REP:
      return r.rep_id();
    case v1::REPORT_DIMENSION_CYCLE:
      return std::to_string(r.cycle());
    case v1::REPORT_DIMENSION_MQL_BASIS:
      return r.mql_basis() == v1::MQL_BASIS_UNSPECIFIED ? std::string()
                                                        : v1::MqlBasis_Name(r.mql_basis());
    case v1::REPORT_DIMENSION_REJECTION_REASON:
      return r.rejection_reason() == v1::REJECTION_REASON_UNSPECIFIED
                 ? std::string()
                 : v1::RejectionReason_Name(r.rejection_reason());
    case v1::REPORT_DIMENSION_OUTCOME_REASON:
      return r.outcome_reason().code();
    case v1::REPORT_DIMENSION_COMPETITOR:
      return r.competitor();
    case v1::REPORT_DIMENSION_CURRENCY:
      return currency != nullptr ? *currency : r.amount().currency_code();
    case v1::REPORT_DIMENSION_RECYCLE_REASON:
      return r.recycle_reason() == v1::RECYCLE_REASON_UNSPECIFIED
                 ? std::string()
                 : v1::RecycleReason_Name(r.recycle_reason());
    case v1::REPORT_DIMENSION_NURTURE_TRACK:
      return r.nurture_track_id();
    default:
      return absl::InvalidArgumentError(
          StrCat("query.group_by: ", v1::ReportDimension_Name(d), " is not supported here"));
  }
}

// Rows grouped: the key's text (for ordering and lookup) → the RowKey.
absl::StatusOr<std::pair<std::string, v1::RowKey>> KeyOf(const v1::LeadCycleFacts& r,
                                                         const v1::ReportQuery& q, int64_t t,
                                                         const std::string* currency = nullptr) {
  v1::RowKey key;
  std::string text;
  for (int d : q.group_by()) {
    const auto dimension = static_cast<v1::ReportDimension>(d);
    absl::StatusOr<std::string> value = DimensionValueOf(r, q, dimension, currency);
    if (!value.ok()) return value.status();
    v1::DimensionValue& dv = *key.add_group();
    dv.set_dimension(dimension);
    dv.set_value(*value);
    StrAppend(&text, *value, "\x1f");
  }
  if (std::optional<int64_t> b = BucketStart(q.bucket(), t); b.has_value()) {
    *key.mutable_bucket_start() = TimestampFromMillis(*b);
    StrAppend(&text, absl::StrFormat("%020d", *b));
  }
  return std::make_pair(std::move(text), std::move(key));
}

std::optional<int64_t> Entered(const v1::LeadCycleFacts& r, v1::Stage s) {
  auto it = r.entered_at_ms().find(s);
  if (it == r.entered_at_ms().end()) return std::nullopt;
  return it->second;
}

// The stage pairs of a conversion or velocity request.
absl::StatusOr<std::vector<std::pair<v1::Stage, v1::Stage>>> Pairs(
    v1::Stage from, v1::Stage to, const std::vector<v1::Stage>& stages) {
  const std::vector<v1::Stage> path = MainPath(stages);
  std::vector<std::pair<v1::Stage, v1::Stage>> out;
  if (from == v1::STAGE_UNSPECIFIED) {
    if (to != v1::STAGE_UNSPECIFIED) {
      return absl::InvalidArgumentError("from_stage: required when to_stage is set");
    }
    for (size_t i = 0; i + 1 < path.size(); ++i) out.emplace_back(path[i], path[i + 1]);
    return out;
  }
  if (to == v1::STAGE_UNSPECIFIED) {
    auto it = std::find(path.begin(), path.end(), from);
    if (it == path.end() || it + 1 == path.end()) {
      return absl::InvalidArgumentError(
          StrCat("to_stage: required (", v1::Stage_Name(from), " has no next stage on the path)"));
    }
    to = *(it + 1);
  }
  out.emplace_back(from, to);
  return out;
}

google::protobuf::Duration DurationOf(double ms) {
  google::protobuf::Duration d;
  const int64_t whole = static_cast<int64_t>(ms);
  d.set_seconds(whole / 1000);
  d.set_nanos(static_cast<int32_t>((whole % 1000) * 1000000));
  return d;
}

double Quantile(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return static_cast<double>(v[rank - 1]);
}

// A running sum of money in one currency; mixing currencies is an error the caller reports.
struct Sum {
  std::string currency;
  int64_t micros = 0;
  bool mixed = false;
  void Add(const v1::Money& m) {
    if (m.amount_micros() == 0 && m.currency_code().empty()) return;
    if (currency.empty()) currency = m.currency_code();
    if (m.currency_code() != currency) mixed = true;
    micros += m.amount_micros();
  }
  v1::Money Money() const {
    v1::Money m;
    m.set_currency_code(currency);
    m.set_amount_micros(micros);
    return m;
  }
};

absl::Status MixedCurrencies() {
  return absl::InvalidArgumentError(
      "amounts in several currencies in one row: group by REPORT_DIMENSION_CURRENCY");
}

// Reason counts, most frequent first (then by code).
void AddReasons(const std::map<std::string, int64_t>& counts,
                google::protobuf::RepeatedPtrField<v1::ReasonCount>* out) {
  std::vector<std::pair<std::string, int64_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (const auto& [code, n] : v) {
    v1::ReasonCount& r = *out->Add();
    r.mutable_reason()->set_code(code);
    r.set_count(n);
  }
}

double Ratio(int64_t a, int64_t b) {
  return b == 0 ? 0 : static_cast<double>(a) / static_cast<double>(b);
}

}  // namespace

bool Matches(const v1::LeadCycleFacts& r, const v1::ReportFilter& f) {
  return In(f.source_systems(), r.first_touch().source_system()) &&
         In(f.channels(), r.first_touch().channel()) &&
         In(f.campaign_ids(), r.first_touch().campaign_id()) && In(f.fit_grades(), r.fit_grade()) &&
         In(f.segments(), r.segment()) && In(f.territories(), r.territory()) &&
         In(f.queues(), r.queue()) && In(f.rep_ids(), r.rep_id()) && In(f.cycles(), r.cycle()) &&
         (!f.marketing_sourced_only() || r.marketing_sourced());
}

std::vector<v1::Stage> MainPath(const std::vector<v1::Stage>& model_order) {
  static const v1::Stage kPath[] = {v1::STAGE_INQUIRY, v1::STAGE_MQL,         v1::STAGE_SAL,
                                    v1::STAGE_SQL,     v1::STAGE_OPPORTUNITY, v1::STAGE_WON};
  std::vector<v1::Stage> out;
  for (v1::Stage s : model_order) {
    if (std::find(std::begin(kPath), std::end(kPath), s) != std::end(kPath)) out.push_back(s);
  }
  return out;
}

absl::StatusOr<v1::GetFunnelResponse> Funnel(const std::vector<v1::LeadCycleFacts>& rows,
                                             const v1::GetFunnelRequest& request,
                                             const std::vector<v1::Stage>& stages, int64_t now_ms) {
  const v1::ReportQuery& q = request.query();
  absl::StatusOr<Range> range = RangeOf(q, now_ms);
  if (!range.ok()) return range.status();
  const bool period = request.mode() == v1::FUNNEL_MODE_PERIOD;
  std::map<std::string, v1::FunnelRow> out;
  auto row_for = [&](const std::pair<std::string, v1::RowKey>& key) -> v1::FunnelRow& {
    auto [it, fresh] = out.try_emplace(key.first);
    if (fresh) {
      *it->second.mutable_key() = key.second;
      for (v1::Stage s : stages) it->second.add_stages()->set_stage(s);
    }
    return it->second;
  };
  for (const v1::LeadCycleFacts& r : rows) {
    if (!Matches(r, q.filter())) continue;
    // In cohort mode every stage of a row has the same time, so the same key: built once.
    std::optional<absl::StatusOr<std::pair<std::string, v1::RowKey>>> cohort_key;
    for (size_t i = 0; i < stages.size(); ++i) {
      const std::optional<int64_t> at = Entered(r, stages[i]);
      if (!at.has_value()) continue;
      const int64_t t = period ? *at : r.started_at_ms();
      if (!range->Contains(t)) continue;
      absl::StatusOr<std::pair<std::string, v1::RowKey>> period_key;
      if (period) {
        period_key = KeyOf(r, q, t);
      } else if (!cohort_key.has_value()) {
        cohort_key = KeyOf(r, q, t);
      }
      const absl::StatusOr<std::pair<std::string, v1::RowKey>>& key =
          period ? period_key : *cohort_key;
      if (!key.ok()) return key.status();
      v1::StageCount& c = *row_for(*key).mutable_stages(static_cast<int>(i));
      c.set_entered(c.entered() + 1);
      if (r.stage() == stages[i]) c.set_current(c.current() + 1);
    }
  }
  v1::GetFunnelResponse resp;
  *resp.mutable_metadata()->mutable_generated_at() = TimestampFromMillis(now_ms);
  for (auto& [text, row] : out) *resp.add_rows() = std::move(row);
  return resp;
}

absl::StatusOr<v1::GetConversionResponse> Conversion(const std::vector<v1::LeadCycleFacts>& rows,
                                                     const v1::GetConversionRequest& request,
                                                     const std::vector<v1::Stage>& stages,
                                                     int64_t now_ms) {
  const v1::ReportQuery& q = request.query();
  absl::StatusOr<Range> range = RangeOf(q, now_ms);
  if (!range.ok()) return range.status();
  absl::StatusOr<std::vector<std::pair<v1::Stage, v1::Stage>>> pairs =
      Pairs(request.from_stage(), request.to_stage(), stages);
  if (!pairs.ok()) return pairs.status();
  std::map<std::pair<std::string, size_t>, v1::ConversionRow> out;
  for (const v1::LeadCycleFacts& r : rows) {
    if (!Matches(r, q.filter())) continue;
    for (size_t p = 0; p < pairs->size(); ++p) {
      const auto [from, to] = (*pairs)[p];
      const std::optional<int64_t> at = Entered(r, from);
      if (!at.has_value() || !range->Contains(*at)) continue;
      absl::StatusOr<std::pair<std::string, v1::RowKey>> key = KeyOf(r, q, *at);
      if (!key.ok()) return key.status();
      auto [it, fresh] = out.try_emplace({key->first, p});
      v1::ConversionRow& row = it->second;
      if (fresh) {
        *row.mutable_key() = key->second;
        row.set_from_stage(from);
        row.set_to_stage(to);
      }
      row.set_entered(row.entered() + 1);
      if (Entered(r, to).has_value()) row.set_converted(row.converted() + 1);
    }
  }
  v1::GetConversionResponse resp;
  *resp.mutable_metadata()->mutable_generated_at() = TimestampFromMillis(now_ms);
  for (auto& [k, row] : out) {
    row.set_rate(row.entered() == 0
                     ? 0
                     : static_cast<double>(row.converted()) / static_cast<double>(row.entered()));
    *resp.add_rows() = std::move(row);
  }
  return resp;
}

absl::StatusOr<v1::GetVelocityResponse> Velocity(const std::vector<v1::LeadCycleFacts>& rows,
                                                 const v1::GetVelocityRequest& request,
                                                 const std::vector<v1::Stage>& stages,
                                                 int64_t now_ms) {
  const v1::ReportQuery& q = request.query();
  absl::StatusOr<Range> range = RangeOf(q, now_ms);
  if (!range.ok()) return range.status();
  absl::StatusOr<std::vector<std::pair<v1::Stage, v1::Stage>>> pairs =
      Pairs(request.from_stage(), request.to_stage(), stages);
  if (!pairs.ok()) return pairs.status();
  struct Acc {
    v1::RowKey key;
    std::vector<int64_t> ms;
  };
  std::map<std::pair<std::string, size_t>, Acc> out;
  for (const v1::LeadCycleFacts& r : rows) {
    if (!Matches(r, q.filter())) continue;
    for (size_t p = 0; p < pairs->size(); ++p) {
      const std::optional<int64_t> from = Entered(r, (*pairs)[p].first);
      const std::optional<int64_t> to = Entered(r, (*pairs)[p].second);
      if (!from.has_value() || !to.has_value() || !range->Contains(*to)) continue;
      absl::StatusOr<std::pair<std::string, v1::RowKey>> key = KeyOf(r, q, *to);
      if (!key.ok()) return key.status();
      Acc& acc = out[{key->first, p}];
      acc.key = key->second;
      acc.ms.push_back(std::max<int64_t>(0, *to - *from));
    }
  }
  v1::GetVelocityResponse resp;
  *resp.mutable_metadata()->mutable_generated_at() = TimestampFromMillis(now_ms);
  for (auto& [k, acc] : out) {
    v1::VelocityRow& row = *resp.add_rows();
    *row.mutable_key() = acc.key;
    row.set_from_stage((*pairs)[k.second].first);
    row.set_to_stage((*pairs)[k.second].second);
    row.set_count(static_cast<int64_t>(acc.ms.size()));
    double sum = 0;
    for (int64_t v : acc.ms) sum += static_cast<double>(v);
    *row.mutable_mean() = DurationOf(sum / static_cast<double>(acc.ms.size()));
    *row.mutable_median() = DurationOf(Quantile(acc.ms, 0.5));
    *row.mutable_p90() = DurationOf(Quantile(acc.ms, 0.9));
  }
  return resp;
}

absl::StatusOr<v1::GetSourceQualityResponse> LeadQuality(
    const std::vector<v1::LeadCycleFacts>& rows, const v1::GetSourceQualityRequest& request,
    int64_t rejected_lead_cost_micros, int64_t now_ms, std::string_view cost_currency) {
  const v1::ReportQuery& q = request.query();
  absl::StatusOr<Range> range = RangeOf(q, now_ms);
  if (!range.ok()) return range.status();
  struct Acc {
    v1::LeadQualityRow row;
    std::map<std::string, int64_t> reasons;
    Sum pipeline, won;
  };
  std::map<std::string, Acc> out;
  auto has = [](const v1::LeadCycleFacts& r, v1::Stage s) { return r.entered_at_ms().contains(s); };
  for (const v1::LeadCycleFacts& r : rows) {
    if (!Matches(r, q.filter()) || !range->Contains(r.started_at_ms())) continue;
    absl::StatusOr<std::pair<std::string, v1::RowKey>> key = KeyOf(r, q, r.started_at_ms());
    if (!key.ok()) return key.status();
    Acc& acc = out[key->first];
    v1::LeadQualityRow& row = acc.row;
    *row.mutable_key() = key->second;
    row.set_leads(row.leads() + 1);
    row.set_mql(row.mql() + (has(r, v1::STAGE_MQL) ? 1 : 0));
    row.set_disqualified(row.disqualified() + (has(r, v1::STAGE_DISQUALIFIED) ? 1 : 0));
    row.set_accepted(row.accepted() + (has(r, v1::STAGE_SAL) ? 1 : 0));
    row.set_sql(row.sql() + (has(r, v1::STAGE_SQL) ? 1 : 0));
    row.set_opportunities(row.opportunities() + (has(r, v1::STAGE_OPPORTUNITY) ? 1 : 0));
    row.set_won(row.won() + (has(r, v1::STAGE_WON) ? 1 : 0));
    if (has(r, v1::STAGE_REJECTED)) {
      row.set_rejected(row.rejected() + 1);
      ++acc.reasons[r.rejection_reason() == v1::REJECTION_REASON_UNSPECIFIED
                        ? std::string("unspecified")
                        : AsciiStrToLower(
                              v1::RejectionReason_Name(r.rejection_reason()).substr(17))];
    }
    if (has(r, v1::STAGE_OPPORTUNITY)) acc.pipeline.Add(r.amount());
    if (has(r, v1::STAGE_WON)) acc.won.Add(r.amount());
  }
  v1::GetSourceQualityResponse resp;
  *resp.mutable_metadata()->mutable_generated_at() = TimestampFromMillis(now_ms);
  for (auto& [k, acc] : out) {
    if (acc.pipeline.mixed || acc.won.mixed ||
        (!acc.pipeline.currency.empty() && !acc.won.currency.empty() &&
         acc.pipeline.currency != acc.won.currency)) {
      return MixedCurrencies();
    }
    v1::LeadQualityRow& row = acc.row;
    row.set_acceptance_rate(Ratio(row.accepted(), row.accepted() + row.rejected()));
    AddReasons(acc.reasons, row.mutable_rejection_reasons());
    *row.mutable_pipeline_amount() = acc.pipeline.Money();
    *row.mutable_won_amount() = acc.won.Money();
    v1::Money& value = *row.mutable_value_per_lead();
    value.set_currency_code(!acc.won.currency.empty()        ? acc.won.currency
                            : !acc.pipeline.currency.empty() ? acc.pipeline.currency
                                                             : std::string(cost_currency));
    const int64_t net = acc.won.micros - rejected_lead_cost_micros * row.rejected();
    value.set_amount_micros(row.leads() == 0 ? 0 : net / row.leads());
    *resp.add_rows() = std::move(row);
  }
  return resp;
}

absl::StatusOr<v1::GetWinLossResponse> WinLoss(const std::vector<v1::LeadCycleFacts>& rows,
                                               const v1::GetWinLossRequest& request,
                                               int64_t now_ms) {
  const v1::ReportQuery& q = request.query();
  absl::StatusOr<Range> range = RangeOf(q, now_ms);
  if (!range.ok()) return range.status();
  struct Acc {
    v1::WinLossRow row;
    std::map<std::string, int64_t> win_reasons, loss_reasons;
    std::map<std::string, std::pair<int64_t, int64_t>> competitors;
    Sum won, lost;
    std::vector<int64_t> cycle_ms;
  };
  std::map<std::string, Acc> out;
  for (const v1::LeadCycleFacts& r : rows) {
    if (!Matches(r, q.filter())) continue;
    const std::optional<int64_t> won_at = Entered(r, v1::STAGE_WON);
    const std::optional<int64_t> lost_at = Entered(r, v1::STAGE_LOST);
    const std::optional<int64_t> closed = won_at.has_value() ? won_at : lost_at;
    if (!closed.has_value() || !range->Contains(*closed)) continue;
    absl::StatusOr<std::pair<std::string, v1::RowKey>> key = KeyOf(r, q, *closed);
    if (!key.ok()) return key.status();
    Acc& acc = out[key->first];
    *acc.row.mutable_key() = key->second;
    const bool won = won_at.has_value();
    if (won) {
      acc.row.set_won(acc.row.won() + 1);
      acc.won.Add(r.amount());
      if (!r.outcome_reason().code().empty()) ++acc.win_reasons[r.outcome_reason().code()];
    } else {
      acc.row.set_lost(acc.row.lost() + 1);
      acc.lost.Add(r.amount());
      if (!r.outcome_reason().code().empty()) ++acc.loss_reasons[r.outcome_reason().code()];
    }
    if (!r.competitor().empty()) {
      auto& c = acc.competitors[r.competitor()];
      (won ? c.first : c.second) += 1;
    }
    if (const std::optional<int64_t> opened = Entered(r, v1::STAGE_OPPORTUNITY); opened) {
      acc.cycle_ms.push_back(std::max<int64_t>(0, *closed - *opened));
    }
  }
  v1::GetWinLossResponse resp;
  *resp.mutable_metadata()->mutable_generated_at() = TimestampFromMillis(now_ms);
  for (auto& [k, acc] : out) {
    if (acc.won.mixed || acc.lost.mixed) return MixedCurrencies();
    v1::WinLossRow& row = acc.row;
    row.set_win_rate(Ratio(row.won(), row.won() + row.lost()));
    *row.mutable_won_amount() = acc.won.Money();
    *row.mutable_lost_amount() = acc.lost.Money();
    AddReasons(acc.win_reasons, row.mutable_win_reasons());
    AddReasons(acc.loss_reasons, row.mutable_loss_reasons());
    std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> comps(acc.competitors.begin(),
                                                                           acc.competitors.end());
    std::sort(comps.begin(), comps.end(), [](const auto& a, const auto& b) {
      const int64_t na = a.second.first + a.second.second;
      const int64_t nb = b.second.first + b.second.second;
      return na != nb ? na > nb : a.first < b.first;
    });
    for (const auto& [name, wl] : comps) {
      v1::CompetitorCount& c = *row.add_competitors();
      c.set_competitor(name);
      c.set_won(wl.first);
      c.set_lost(wl.second);
    }
    if (!acc.cycle_ms.empty())
      *row.mutable_median_sales_cycle() = DurationOf(Quantile(acc.cycle_ms, 0.5));
    *resp.add_rows() = std::move(row);
  }
  return resp;
}

absl::StatusOr<v1::GetSlaComplianceResponse> SlaCompliance(
    const std::vector<v1::LeadCycleFacts>& rows, const v1::GetSlaComplianceRequest& request,
    int64_t now_ms) {
  const v1::ReportQuery& q = request.query();
  absl::StatusOr<Range> range = RangeOf(q, now_ms);
  if (!range.ok()) return range.status();
  struct Acc {
    v1::SlaComplianceRow row;
    std::vector<int64_t> answer_ms;
  };
  std::map<std::string, Acc> out;
  for (const v1::LeadCycleFacts& r : rows) {
    if (!Matches(r, q.filter()) || r.handed_off_at_ms() == 0 ||
        !range->Contains(r.handed_off_at_ms())) {
      continue;
    }
    absl::StatusOr<std::pair<std::string, v1::RowKey>> key = KeyOf(r, q, r.handed_off_at_ms());
    if (!key.ok()) return key.status();
    Acc& acc = out[key->first];
    v1::SlaComplianceRow& row = acc.row;
    *row.mutable_key() = key->second;
    row.set_handed_off(row.handed_off() + 1);
    row.set_escalated(row.escalated() + r.escalations());
    row.set_reassigned(row.reassigned() + r.reassignments());
    const std::optional<int64_t> accepted = Entered(r, v1::STAGE_SAL);
    const std::optional<int64_t> rejected =
        r.sla_expired() ? std::nullopt : Entered(r, v1::STAGE_REJECTED);
    if (r.sla_expired()) {
      row.set_expired(row.expired() + 1);
    } else if (accepted.has_value()) {
      acc.answer_ms.push_back(std::max<int64_t>(0, *accepted - r.handed_off_at_ms()));
      if (r.accepted_within_sla()) {
        row.set_accepted_within_sla(row.accepted_within_sla() + 1);
      } else {
        row.set_answered_late(row.answered_late() + 1);
      }
    } else if (rejected.has_value()) {
      acc.answer_ms.push_back(std::max<int64_t>(0, *rejected - r.handed_off_at_ms()));
      if (r.sla_deadline_ms() == 0 || *rejected <= r.sla_deadline_ms()) {
        row.set_rejected_within_sla(row.rejected_within_sla() + 1);
      } else {
        row.set_answered_late(row.answered_late() + 1);
      }
    } else if (r.stage() == v1::STAGE_MQL) {
      row.set_pending(row.pending() + 1);
    }
  }
  v1::GetSlaComplianceResponse resp;
  *resp.mutable_metadata()->mutable_generated_at() = TimestampFromMillis(now_ms);
  for (auto& [k, acc] : out) {
    v1::SlaComplianceRow& row = acc.row;
    row.set_compliance_rate(Ratio(row.accepted_within_sla() + row.rejected_within_sla(),
                                  row.handed_off() - row.pending()));
    if (!acc.answer_ms.empty()) {
      *row.mutable_median_time_to_answer() = DurationOf(Quantile(acc.answer_ms, 0.5));
      *row.mutable_p90_time_to_answer() = DurationOf(Quantile(acc.answer_ms, 0.9));
    }
    *resp.add_rows() = std::move(row);
  }
  return resp;
}

absl::StatusOr<v1::GetAttributionResponse> MarketingSourcedRevenue(
    const std::vector<v1::LeadCycleFacts>& rows, const v1::GetAttributionRequest& request,
    const v1::CompSummary& comp, int64_t comp_version, int64_t now_ms) {
  if (request.comp_summary_version() != 0 && request.comp_summary_version() != comp_version) {
    return absl::InvalidArgumentError(
        StrCat("comp_summary_version: only the recorded annotations (0) or the version in force (",
               comp_version, ") can be used"));
  }
  const v1::ReportQuery& q = request.query();
  absl::StatusOr<Range> range = RangeOf(q, now_ms);
  if (!range.ok()) return range.status();
  struct Acc {
    v1::MarketingSourcedRevenueRow row;
    Sum won, sourced;
    int64_t credit = 0;
  };
  std::map<std::string, Acc> out;
  for (const v1::LeadCycleFacts& r : rows) {
    const std::optional<int64_t> won_at = Entered(r, v1::STAGE_WON);
    if (!Matches(r, q.filter()) || !won_at.has_value() || !range->Contains(*won_at)) continue;
    absl::StatusOr<std::pair<std::string, v1::RowKey>> key = KeyOf(r, q, *won_at);
    if (!key.ok()) return key.status();
    Acc& acc = out[key->first];
    *acc.row.mutable_key() = key->second;
    acc.row.set_won_deals(acc.row.won_deals() + 1);
    acc.won.Add(r.amount());
    if (!r.marketing_sourced()) continue;
    acc.row.set_marketing_sourced_deals(acc.row.marketing_sourced_deals() + 1);
    acc.sourced.Add(r.amount());
    int percent = 100;
    for (const std::string& id : r.product_ids()) {
      for (const v1::CompProduct& p : comp.products()) {
        if (p.product_id() == id) percent = std::max(percent, p.accelerator_percent());
      }
    }
    acc.credit += r.amount().amount_micros() / 100 * percent;
  }
  v1::GetAttributionResponse resp;
  *resp.mutable_metadata()->mutable_generated_at() = TimestampFromMillis(now_ms);
  resp.set_comp_summary_version(request.comp_summary_version());
  resp.set_comp_summary_text(comp.summary_text());
  for (auto& [k, acc] : out) {
    if (acc.won.mixed) return MixedCurrencies();
    v1::MarketingSourcedRevenueRow& row = acc.row;
    *row.mutable_won_amount() = acc.won.Money();
    *row.mutable_marketing_sourced_amount() = acc.sourced.Money();
    row.mutable_marketing_sourced_amount()->set_currency_code(acc.won.currency);
    row.mutable_accelerated_credit()->set_currency_code(acc.won.currency);
    row.mutable_accelerated_credit()->set_amount_micros(acc.credit);
    row.set_marketing_sourced_share(acc.won.micros == 0 ? 0
                                                        : static_cast<double>(acc.sourced.micros) /
                                                              static_cast<double>(acc.won.micros));
    *resp.add_rows() = std::move(row);
  }
  return resp;
}

absl::StatusOr<v1::GetRecycleEffectivenessResponse> RecycleEffectiveness(
    const std::vector<v1::LeadCycleFacts>& rows, const v1::GetRecycleEffectivenessRequest& request,
    int64_t now_ms) {
  const v1::ReportQuery& q = request.query();
  absl::StatusOr<Range> range = RangeOf(q, now_ms);
  if (!range.ok()) return range.status();
  const bool by_currency = std::find(q.group_by().begin(), q.group_by().end(),
                                     v1::REPORT_DIMENSION_CURRENCY) != q.group_by().end();
  // When a row was recycled: recycled_at_ms, or for rows folded before it existed, the entry into
  // nurture; nullopt for rows not recycled (or with no time at all).
  auto recycled_at = [](const v1::LeadCycleFacts& r) -> std::optional<int64_t> {
    if (!r.recycled()) return std::nullopt;
    if (r.recycled_at_ms() != 0) return r.recycled_at_ms();
    return Entered(r, v1::STAGE_NURTURE);
  };
  // The cycles of every lead with a recycled row in the report, in cycle order.
  std::map<std::string_view, std::vector<const v1::LeadCycleFacts*>> leads;
  for (const v1::LeadCycleFacts& r : rows) {
    const std::optional<int64_t> at = recycled_at(r);
    if (at.has_value() && range->Contains(*at) && Matches(r, q.filter())) leads[r.lead_id()];
  }
  for (const v1::LeadCycleFacts& r : rows) {
    if (auto it = leads.find(r.lead_id()); it != leads.end()) it->second.push_back(&r);
  }
  struct Acc {
    v1::RecycleEffectivenessRow row;
    Sum won_later;
    std::vector<int64_t> requalify_ms;
  };
  std::map<std::string, Acc> out;
  for (auto& [lead, cycles] : leads) {
    std::stable_sort(cycles.begin(), cycles.end(),
                     [](const v1::LeadCycleFacts* a, const v1::LeadCycleFacts* b) {
                       return a->cycle() < b->cycle();
                     });
    for (size_t i = 0; i < cycles.size(); ++i) {
      const v1::LeadCycleFacts& r = *cycles[i];
      const std::optional<int64_t> at = recycled_at(r);
      if (!at.has_value() || !range->Contains(*at) || !Matches(r, q.filter())) continue;
      // What the lead did in the cycles after this one (and only those).
      bool released = false, accepted = false, won = false;
      std::optional<int64_t> requalified_at;
      Sum won_amount;
      for (size_t j = i + 1; j < cycles.size(); ++j) {
        const v1::LeadCycleFacts& later = *cycles[j];
        if (later.cycle() <= r.cycle()) continue;  // a duplicate of this cycle: not later
        released = true;
        if (const std::optional<int64_t> mql = Entered(later, v1::STAGE_MQL); mql.has_value()) {
          requalified_at = requalified_at.has_value() ? std::min(*requalified_at, *mql) : *mql;
        }
        accepted = accepted || Entered(later, v1::STAGE_SAL).has_value();
        if (Entered(later, v1::STAGE_WON).has_value()) {
          won = true;
          won_amount.Add(later.amount());
        }
      }
      if (won_amount.mixed) {
        if (!by_currency) return MixedCurrencies();
        return absl::InvalidArgumentError(
            StrCat("lead-cycle ", CycleKey(r.lead_id(), r.cycle()),
                   " was won later in several currencies: it cannot be split by currency"));
      }
      absl::StatusOr<std::pair<std::string, v1::RowKey>> key =
          KeyOf(r, q, *at, &won_amount.currency);
      if (!key.ok()) return key.status();
      Acc& acc = out[key->first];
      v1::RecycleEffectivenessRow& row = acc.row;
      *row.mutable_key() = key->second;
      row.set_recycled(row.recycled() + 1);
      row.set_released(row.released() + (released ? 1 : 0));
      row.set_requalified(row.requalified() + (requalified_at.has_value() ? 1 : 0));
      row.set_accepted_later(row.accepted_later() + (accepted ? 1 : 0));
      row.set_won_later(row.won_later() + (won ? 1 : 0));
      row.set_archived(row.archived() + (r.archived() ? 1 : 0));
      row.set_nurturing(row.nurturing() + (!r.archived() && !released ? 1 : 0));
      if (won) acc.won_later.Add(won_amount.Money());
      if (requalified_at.has_value()) {
        acc.requalify_ms.push_back(std::max<int64_t>(0, *requalified_at - *at));
      }
    }
  }
  v1::GetRecycleEffectivenessResponse resp;
  *resp.mutable_metadata()->mutable_generated_at() = TimestampFromMillis(now_ms);
  for (auto& [k, acc] : out) {
    if (acc.won_later.mixed) return MixedCurrencies();
    v1::RecycleEffectivenessRow& row = acc.row;
    row.set_requalify_rate(Ratio(row.requalified(), row.recycled()));
    *row.mutable_won_later_amount() = acc.won_later.Money();
    if (!acc.requalify_ms.empty()) {
      *row.mutable_median_time_to_requalify() = DurationOf(Quantile(acc.requalify_ms, 0.5));
    }
    *resp.add_rows() = std::move(row);
  }
  return resp;
}

}  // namespace leadflow::reporting
