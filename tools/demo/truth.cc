#include "tools/demo/truth.h"

#include <algorithm>
#include <set>

#include "services/common/base/strings.h"

namespace leadflow::demo {
namespace {

// config/nurture.yaml: never nurtured, archived.
const std::set<v1::RejectionReason> kArchivedRejections = {
    v1::REJECTION_REASON_NOT_A_BUYER, v1::REJECTION_REASON_DUPLICATE,
    v1::REJECTION_REASON_BAD_CONTACT_DATA, v1::REJECTION_REASON_EXISTING_CUSTOMER};
const std::set<std::string> kArchivedLossCodes = {"competitor_signed", "out_of_business"};
const std::set<std::string> kNurturedDisqualifications = {"not_icp"};

std::string RejectionName(v1::RejectionReason r) {
  return AsciiStrToLower(v1::RejectionReason_Name(r).substr(sizeof("REJECTION_REASON_") - 1));
}

std::string StageName(v1::Stage s) { return v1::Stage_Name(s); }

void Diff(std::vector<std::string>* out, const std::string& what, int64_t truth, int64_t reported) {
  if (truth != reported) {
    out->push_back(StrCat(what, ": truth ", truth, ", reported ", reported));
  }
}

void DiffCounts(std::vector<std::string>* out, const std::string& what,
                const std::map<std::string, int64_t>& truth,
                const google::protobuf::RepeatedPtrField<v1::ReasonCount>& reported) {
  std::map<std::string, int64_t> got;
  for (const v1::ReasonCount& r : reported) got[r.reason().code()] += r.count();
  std::set<std::string> keys;
  for (const auto& [k, v] : truth) keys.insert(k);
  for (const auto& [k, v] : got) keys.insert(k);
  for (const std::string& k : keys) {
    const auto t = truth.find(k);
    const auto g = got.find(k);
    Diff(out, StrCat(what, " ", k), t == truth.end() ? 0 : t->second,
         g == got.end() ? 0 : g->second);
  }
}

void DiffMoney(std::vector<std::string>* out, const std::string& what, int64_t truth_micros,
               const v1::Money& reported) {
  if (truth_micros == 0 && reported.amount_micros() == 0) return;
  if (reported.currency_code() != "EUR" || reported.amount_micros() != truth_micros) {
    out->push_back(StrCat(what, ": truth EUR ", truth_micros / 1'000'000, ", reported ",
                          reported.currency_code(), " ", reported.amount_micros() / 1'000'000,
                          " (micros ", truth_micros, " vs ", reported.amount_micros(), ")"));
  }
}

}  // namespace

const std::vector<v1::Stage>& TruthStages() {
  static const std::vector<v1::Stage> kStages = {
      v1::STAGE_INQUIRY,     v1::STAGE_MQL,     v1::STAGE_SAL,     v1::STAGE_SQL,
      v1::STAGE_OPPORTUNITY, v1::STAGE_WON,     v1::STAGE_LOST,    v1::STAGE_DISQUALIFIED,
      v1::STAGE_REJECTED,    v1::STAGE_NURTURE, v1::STAGE_ARCHIVED};
  return kStages;
}

std::vector<v1::Stage> EnteredStages(const DemoLead& lead) {
  std::vector<v1::Stage> out = {v1::STAGE_INQUIRY};
  if (lead.gate == v1::STAGE_DISQUALIFIED) {
    out.push_back(v1::STAGE_DISQUALIFIED);
    out.push_back(kNurturedDisqualifications.count(lead.disqualification_reason) != 0
                      ? v1::STAGE_NURTURE
                      : v1::STAGE_ARCHIVED);
    return out;
  }
  if (lead.gate != v1::STAGE_MQL) return out;
  out.push_back(v1::STAGE_MQL);
  const SalesPlan& p = lead.plan;
  if (p.answer == SalesPlan::Answer::kReject) {
    out.push_back(v1::STAGE_REJECTED);
    out.push_back(kArchivedRejections.count(p.reject_reason) != 0 ? v1::STAGE_ARCHIVED
                                                                  : v1::STAGE_NURTURE);
    return out;
  }
  if (p.answer != SalesPlan::Answer::kAccept) return out;
  out.push_back(v1::STAGE_SAL);
  if (!p.convert) return out;
  out.push_back(v1::STAGE_SQL);
  if (!p.open) return out;
  out.push_back(v1::STAGE_OPPORTUNITY);
  if (p.close == SalesPlan::Close::kWon) {
    out.push_back(v1::STAGE_WON);
  } else if (p.close == SalesPlan::Close::kLost) {
    out.push_back(v1::STAGE_LOST);
    out.push_back(kArchivedLossCodes.count(p.close_reason) != 0 ? v1::STAGE_ARCHIVED
                                                                : v1::STAGE_NURTURE);
  }
  return out;
}

GroundTruth ComputeTruth(const DemoDataSet& set) {
  GroundTruth t;
  for (v1::Stage s : TruthStages()) t.entered[s] = 0;
  for (const DemoLead& lead : set.leads) {
    ++t.leads;
    ++t.by_way_in[WayInName(lead.way_in)];
    ++t.by_archetype[ArchetypeName(lead.archetype)];
    QualityTruth& q = t.quality[lead.submission.source().channel()];
    ++q.leads;
    const std::vector<v1::Stage> stages = EnteredStages(lead);
    for (v1::Stage s : stages) ++t.entered[s];
    auto entered = [&](v1::Stage s) {
      return std::find(stages.begin(), stages.end(), s) != stages.end();
    };
    if (entered(v1::STAGE_DISQUALIFIED)) ++q.disqualified;
    if (!entered(v1::STAGE_MQL)) continue;
    ++q.mql;
    ++t.handoffs;
    const SalesPlan& p = lead.plan;
    if (entered(v1::STAGE_REJECTED)) {
      ++q.rejected;
      ++q.rejection_reasons[RejectionName(p.reject_reason)];
    }
    if (entered(v1::STAGE_SAL)) ++q.accepted;
    if (entered(v1::STAGE_SQL)) ++q.sql;
    if (!entered(v1::STAGE_OPPORTUNITY)) continue;
    ++q.opportunities;
    q.pipeline_micros += p.amount_micros;
    WinLossTruth& w = t.winloss;
    if (entered(v1::STAGE_WON)) {
      ++q.won;
      q.won_micros += p.amount_micros;
      ++w.won;
      w.won_micros += p.amount_micros;
      if (!p.close_reason.empty()) ++w.win_reasons[p.close_reason];
      if (!p.competitor.empty()) ++w.competitors[p.competitor].first;
    } else if (entered(v1::STAGE_LOST)) {
      ++w.lost;
      w.lost_micros += p.amount_micros;
      if (!p.close_reason.empty()) ++w.loss_reasons[p.close_reason];
      if (!p.competitor.empty()) ++w.competitors[p.competitor].second;
    }
  }
  return t;
}

nlohmann::json TruthToJson(const GroundTruth& t) {
  nlohmann::json j;
  j["leads"] = t.leads;
  j["handoffs"] = t.handoffs;
  for (v1::Stage s : TruthStages()) j["funnel_entered"][StageName(s)] = t.entered.at(s);
  for (const auto& [channel, q] : t.quality) {
    nlohmann::json& r = j["quality_by_channel"][v1::Channel_Name(channel)];
    r["leads"] = q.leads;
    r["mql"] = q.mql;
    r["disqualified"] = q.disqualified;
    r["accepted"] = q.accepted;
    r["rejected"] = q.rejected;
    r["sql"] = q.sql;
    r["opportunities"] = q.opportunities;
    r["won"] = q.won;
    r["pipeline_eur"] = q.pipeline_micros / 1'000'000;
    r["won_eur"] = q.won_micros / 1'000'000;
    r["rejection_reasons"] = q.rejection_reasons;
  }
  const WinLossTruth& w = t.winloss;
  j["winloss"]["won"] = w.won;
  j["winloss"]["lost"] = w.lost;
  j["winloss"]["won_eur"] = w.won_micros / 1'000'000;
  j["winloss"]["lost_eur"] = w.lost_micros / 1'000'000;
  j["winloss"]["win_reasons"] = w.win_reasons;
  j["winloss"]["loss_reasons"] = w.loss_reasons;
  for (const auto& [name, wl] : w.competitors) {
    j["winloss"]["competitors"][name] = {{"won", wl.first}, {"lost", wl.second}};
  }
  j["by_way_in"] = t.by_way_in;
  j["by_archetype"] = t.by_archetype;
  return j;
}

std::vector<std::string> CompareFunnel(const GroundTruth& truth,
                                       const v1::GetFunnelResponse& funnel) {
  std::vector<std::string> out;
  std::map<v1::Stage, int64_t> got;
  if (funnel.rows_size() > 1)
    out.push_back(StrCat("funnel: ", funnel.rows_size(), " rows, want 1"));
  for (const v1::FunnelRow& row : funnel.rows()) {
    for (const v1::StageCount& s : row.stages()) got[s.stage()] += s.entered();
  }
  for (v1::Stage s : TruthStages()) {
    Diff(&out, StrCat("funnel ", StageName(s), " entered"), truth.entered.at(s), got[s]);
  }
  return out;
}

std::vector<std::string> CompareQuality(const GroundTruth& truth,
                                        const v1::GetSourceQualityResponse& quality) {
  std::vector<std::string> out;
  std::map<v1::Channel, const v1::LeadQualityRow*> got;
  for (const v1::LeadQualityRow& row : quality.rows()) {
    v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
    if (row.key().group_size() != 1 || !v1::Channel_Parse(row.key().group(0).value(), &channel)) {
      out.push_back(StrCat("quality: a row not keyed by one channel: ", row.ShortDebugString()));
      continue;
    }
    got[channel] = &row;
  }
  std::set<v1::Channel> channels;
  for (const auto& [c, q] : truth.quality) channels.insert(c);
  for (const auto& [c, r] : got) channels.insert(c);
  for (v1::Channel c : channels) {
    const std::string name = StrCat("quality ", v1::Channel_Name(c));
    const auto t = truth.quality.find(c);
    const auto g = got.find(c);
    if (t == truth.quality.end() || g == got.end()) {
      out.push_back(StrCat(
          name, ": ",
          t == truth.quality.end() ? "reported, not in the truth" : "in the truth, not reported"));
      continue;
    }
    const QualityTruth& q = t->second;
    const v1::LeadQualityRow& r = *g->second;
    Diff(&out, name + " leads", q.leads, r.leads());
    Diff(&out, name + " mql", q.mql, r.mql());
    Diff(&out, name + " disqualified", q.disqualified, r.disqualified());
    Diff(&out, name + " accepted", q.accepted, r.accepted());
    Diff(&out, name + " rejected", q.rejected, r.rejected());
    Diff(&out, name + " sql", q.sql, r.sql());
    Diff(&out, name + " opportunities", q.opportunities, r.opportunities());
    Diff(&out, name + " won", q.won, r.won());
    DiffMoney(&out, name + " pipeline", q.pipeline_micros, r.pipeline_amount());
    DiffMoney(&out, name + " won amount", q.won_micros, r.won_amount());
    DiffCounts(&out, name + " rejection reason", q.rejection_reasons, r.rejection_reasons());
  }
  return out;
}

std::vector<std::string> CompareWinLoss(const GroundTruth& truth,
                                        const v1::GetWinLossResponse& winloss) {
  std::vector<std::string> out;
  const WinLossTruth& w = truth.winloss;
  if (winloss.rows_size() == 0) {
    if (w.won + w.lost != 0) out.push_back("winloss: no row reported");
    return out;
  }
  if (winloss.rows_size() > 1)
    out.push_back(StrCat("winloss: ", winloss.rows_size(), " rows, want 1"));
  const v1::WinLossRow& r = winloss.rows(0);
  Diff(&out, "winloss won", w.won, r.won());
  Diff(&out, "winloss lost", w.lost, r.lost());
  DiffMoney(&out, "winloss won amount", w.won_micros, r.won_amount());
  DiffMoney(&out, "winloss lost amount", w.lost_micros, r.lost_amount());
  DiffCounts(&out, "winloss win reason", w.win_reasons, r.win_reasons());
  DiffCounts(&out, "winloss loss reason", w.loss_reasons, r.loss_reasons());
  std::map<std::string, std::pair<int64_t, int64_t>> got;
  for (const v1::CompetitorCount& c : r.competitors()) {
    got[c.competitor()] = {c.won(), c.lost()};
  }
  if (got != w.competitors) {
    std::string t_text, g_text;
    for (const auto& [n, wl] : w.competitors)
      t_text += StrCat(" ", n, "=", wl.first, "/", wl.second);
    for (const auto& [n, wl] : got) g_text += StrCat(" ", n, "=", wl.first, "/", wl.second);
    out.push_back(StrCat("winloss competitors (won/lost): truth", t_text, "; reported", g_text));
  }
  return out;
}

}  // namespace leadflow::demo
