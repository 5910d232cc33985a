#include "services/common/lifecycle/comp.h"

#include <set>

#include "absl/time/time.h"
#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/common/events/lead_events.h"

namespace leadflow::lifecycle {
namespace {

int64_t Millis(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

std::string Day(int64_t ms) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::string ChannelWords(v1::Channel c) { return EnumWords(v1::Channel_Name(c), "CHANNEL_"); }

v1::Reason MakeReason(std::string code, std::string text) {
  v1::Reason r;
  r.set_code(std::move(code));
  r.set_text(std::move(text));
  return r;
}

}  // namespace

std::vector<config::ConfigViolation> ValidateComp(const v1::CompSummary& comp) {
  std::vector<config::ConfigViolation> out;
  auto add = [&](std::string path, std::string why) {
    out.push_back({std::move(path), std::move(why)});
  };
  if (comp.plan_name().empty()) add("plan_name", "is required");
  if (comp.has_effective_until() && comp.has_effective_from() &&
      events::MillisFromTimestamp(comp.effective_until()) <=
          events::MillisFromTimestamp(comp.effective_from())) {
    add("effective_until", "must be after effective_from");
  }
  const v1::MarketingSourcedRule& rule = comp.marketing_sourced();
  if (rule.touch() == v1::ATTRIBUTION_TOUCH_UNSPECIFIED) {
    add("marketing_sourced.touch", "is required (first or last)");
  }
  if (rule.channels_size() == 0) {
    add("marketing_sourced.channels", "at least one channel counts as marketing");
  }
  std::set<int> channels;
  for (int i = 0; i < rule.channels_size(); ++i) {
    if (rule.channels(i) == v1::CHANNEL_UNSPECIFIED) {
      add(StrCat("marketing_sourced.channels[", i, "]"), "is not a channel");
    } else if (!channels.insert(rule.channels(i)).second) {
      add(StrCat("marketing_sourced.channels[", i, "]"), "is listed twice");
    }
  }
  if (Millis(rule.attribution_window()) < 0) {
    add("marketing_sourced.attribution_window", "must not be negative (0 = no window)");
  }
  std::set<std::string> products;
  for (int i = 0; i < comp.products_size(); ++i) {
    const v1::CompProduct& p = comp.products(i);
    const std::string at = StrCat("products[", i, "]");
    if (p.product_id().empty()) {
      add(at + ".product_id", "is required");
    } else if (!products.insert(p.product_id()).second) {
      add(at + ".product_id", StrCat("'", p.product_id(), "' is listed twice"));
    }
    if (p.accelerator_percent() < 100) {
      add(at + ".accelerator_percent", "must be at least 100 (100 = no accelerator)");
    }
  }
  if (comp.summary_text().empty()) add("summary_text", "the plan in plain words is required");
  return out;
}

absl::StatusOr<v1::CompSummary> LoadCompFile(const std::string& path) {
  v1::CompSummary comp;
  if (absl::Status s =
          config::LoadValidatedYamlFile(path, &comp, [&] { return ValidateComp(comp); });
      !s.ok()) {
    return s;
  }
  return comp;
}

v1::CompAnnotation Annotate(const v1::CompSummary& comp, int64_t version,
                            const v1::Source& first_touch, const v1::Source& last_touch,
                            int64_t at_ms, bool opening, bool was_mql,
                            const std::vector<std::string>& product_ids) {
  v1::CompAnnotation out;
  out.set_comp_summary_version(version);
  const v1::MarketingSourcedRule& rule = comp.marketing_sourced();
  const bool first = rule.touch() != v1::ATTRIBUTION_TOUCH_LAST;
  const v1::Source& touch = first ? first_touch : last_touch;
  const std::string touch_name = first ? "first touch" : "last touch";
  const std::string event = opening ? "the opportunity opened" : "handed off";
  const int64_t window = Millis(rule.attribution_window());
  const bool touched = touch.has_touched_at();
  const int64_t touched_ms = touched ? events::MillisFromTimestamp(touch.touched_at()) : 0;
  if (touched && window > 0) {
    *out.mutable_attribution_window_ends_at() = events::TimestampFromMillis(touched_ms + window);
  }
  if (opening) {
    for (const std::string& id : product_ids) {
      for (const v1::CompProduct& p : comp.products()) {
        if (p.product_id() == id && p.accelerator_percent() > 100) {
          out.add_accelerated_product_ids(id);
        }
      }
    }
  }

  auto decide = [&](bool sourced, std::string code, std::string text) {
    out.set_marketing_sourced(sourced);
    *out.mutable_marketing_sourced_reason() = MakeReason(std::move(code), std::move(text));
    return out;
  };
  const std::string plan = StrCat("plan \"", comp.plan_name(), "\"");
  if (comp.has_effective_from() && at_ms < events::MillisFromTimestamp(comp.effective_from())) {
    return decide(false, "comp.plan_not_started",
                  StrCat(event, " on ", Day(at_ms), ", before ", plan, " starts on ",
                         Day(events::MillisFromTimestamp(comp.effective_from()))));
  }
  if (comp.has_effective_until() && at_ms >= events::MillisFromTimestamp(comp.effective_until())) {
    return decide(false, "comp.plan_ended",
                  StrCat(event, " on ", Day(at_ms), ", after ", plan, " ended on ",
                         Day(events::MillisFromTimestamp(comp.effective_until()))));
  }
  if (rule.require_mql() && !was_mql) {
    return decide(false, "comp.not_mql",
                  StrCat("the lead was not a marketing qualified lead before ", event));
  }
  bool marketing_channel = false;
  for (int c : rule.channels()) marketing_channel = marketing_channel || c == touch.channel();
  if (touch.channel() == v1::CHANNEL_UNSPECIFIED) {
    return decide(false, "comp.no_channel",
                  StrCat("the ", touch_name, " has no channel, so it cannot count as marketing"));
  }
  if (!marketing_channel) {
    return decide(false, "comp.not_marketing_channel",
                  StrCat("the ", touch_name, " was ", ChannelWords(touch.channel()), ", which ",
                         plan, " does not count as marketing"));
  }
  const std::string via =
      StrCat("the ", touch_name, " was ", ChannelWords(touch.channel()), " (a marketing channel",
             touched ? " on " + Day(touched_ms) : "", ")");
  if (window > 0 && !touched) {
    return decide(false, "comp.no_touch_time",
                  StrCat("the ", touch_name, " has no time, so the ", plan,
                         "'s attribution window cannot be checked"));
  }
  if (window > 0 && touched && at_ms >= touched_ms + window) {
    return decide(false, "comp.outside_window",
                  StrCat(via, ", but ", event, " on ", Day(at_ms), ", after the ",
                         FormatNumber(static_cast<double>(window) / 86400000.0, 1),
                         "-day attribution window ended on ", Day(touched_ms + window)));
  }
  if (window > 0 && touched) {
    return decide(
        true, "comp.marketing_sourced",
        opening ? StrCat(via, " and the opportunity opened within the ",
                         FormatNumber(static_cast<double>(window) / 86400000.0, 1), "-day window")
                : StrCat(via,
                         "; it counts as marketing-sourced if an opportunity opens "
                         "by ",
                         Day(touched_ms + window)));
  }
  return decide(true, "comp.marketing_sourced", StrCat(via, "; ", plan, " has no time window"));
}

std::string CompInWords(const v1::CompSummary& comp) {
  const v1::MarketingSourcedRule& rule = comp.marketing_sourced();
  std::string out = StrCat("Plan \"", comp.plan_name(), "\"");
  if (comp.has_effective_from()) {
    StrAppend(&out, ", from ", Day(events::MillisFromTimestamp(comp.effective_from())));
  }
  if (comp.has_effective_until()) {
    StrAppend(&out, " until ", Day(events::MillisFromTimestamp(comp.effective_until())));
  }
  const bool first = rule.touch() != v1::ATTRIBUTION_TOUCH_LAST;
  StrAppend(&out, ". A deal counts as marketing-sourced when the lead's ", first ? "first" : "last",
            " touch came through ");
  for (int i = 0; i < rule.channels_size(); ++i) {
    if (i > 0) out += i + 1 == rule.channels_size() ? " or " : ", ";
    out += ChannelWords(static_cast<v1::Channel>(rule.channels(i)));
  }
  if (rule.require_mql()) out += ", the lead became a marketing qualified lead";
  const int64_t window = Millis(rule.attribution_window());
  if (window > 0) {
    StrAppend(&out, ", and the opportunity opened within ",
              FormatNumber(static_cast<double>(window) / 86400000.0, 1), " days of that touch");
  }
  out += ".";
  std::string accelerated;
  for (const v1::CompProduct& p : comp.products()) {
    if (p.accelerator_percent() <= 100) continue;
    StrAppend(&accelerated, accelerated.empty() ? "" : ", ",
              p.name().empty() ? p.product_id() : p.name(), " ",
              FormatNumber(p.accelerator_percent() / 100.0, 2), "x");
  }
  out += accelerated.empty()
             ? " No product carries an accelerator: every deal counts 1x."
             : StrCat(" Accelerators toward quota: ", accelerated, "; everything else counts 1x.");
  return out;
}

}  // namespace leadflow::lifecycle
