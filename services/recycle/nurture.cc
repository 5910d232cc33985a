#include "services/recycle/nurture.h"

#include <algorithm>
#include <set>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/common/lifecycle/conditions.h"

namespace leadflow::recycle {
namespace {

template <typename C, typename V>
bool Contains(const C& c, const V& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

v1::Reason MakeReason(std::string code, std::string text) {
  v1::Reason r;
  r.set_code(std::move(code));
  r.set_text(std::move(text));
  return r;
}

std::string RecycleWords(v1::RecycleReason r) {
  return EnumWords(v1::RecycleReason_Name(r), "RECYCLE_REASON_");
}

std::string Detail(const RecycleInput& in) {
  switch (in.reason) {
    case v1::RECYCLE_REASON_REJECTED:
      return StrCat("rejected (",
                    EnumWords(v1::RejectionReason_Name(in.rejection), "REJECTION_REASON_"), ")");
    case v1::RECYCLE_REASON_DISQUALIFIED:
      return StrCat("disqualified (",
                    EnumWords(v1::DisqualificationReason_Name(in.disqualification),
                              "DISQUALIFICATION_REASON_"),
                    ")");
    case v1::RECYCLE_REASON_LOST:
      return StrCat("lost (", in.loss_reason_code.empty() ? "no reason" : in.loss_reason_code, ")");
    default:
      return RecycleWords(in.reason);
  }
}

bool ConditionsMatch(const v1::NurtureTrack& t, const v1::Lead* lead) {
  if (t.conditions_size() == 0) return true;
  if (lead == nullptr) return false;
  for (const v1::AttributeCondition& c : t.conditions()) {
    if (!lifecycle::CompiledCondition::Compile(c).Matches(*lead)) return false;
  }
  return true;
}

}  // namespace

TrackChoice ChooseTrack(const v1::NurtureConfig& nurture, const RecycleInput& in) {
  TrackChoice out;
  const std::string what = Detail(in);
  if (in.reason == v1::RECYCLE_REASON_REJECTED &&
      Contains(nurture.archive_rejection_reasons(), in.rejection)) {
    out.why = MakeReason("nurture.not_nurturable",
                         StrCat(what, ": the nurture config never nurtures this reason"));
    return out;
  }
  if (in.reason == v1::RECYCLE_REASON_LOST &&
      Contains(nurture.archive_loss_reason_codes(), in.loss_reason_code)) {
    out.why = MakeReason("nurture.not_nurturable",
                         StrCat(what, ": the nurture config never nurtures this loss reason"));
    return out;
  }
  for (const v1::NurtureTrack& t : nurture.tracks()) {
    if (!Contains(t.recycle_reasons(), in.reason)) continue;
    if (in.reason == v1::RECYCLE_REASON_REJECTED && t.rejection_reasons_size() > 0 &&
        !Contains(t.rejection_reasons(), in.rejection)) {
      continue;
    }
    if (in.reason == v1::RECYCLE_REASON_DISQUALIFIED &&
        !Contains(t.disqualification_reasons(), in.disqualification)) {
      continue;
    }
    if (in.reason == v1::RECYCLE_REASON_LOST && t.loss_reason_codes_size() > 0 &&
        !Contains(t.loss_reason_codes(), in.loss_reason_code)) {
      continue;
    }
    if (!ConditionsMatch(t, in.lead)) continue;
    out.track = &t;
    out.why = MakeReason("nurture.track_matched",
                         StrCat(what, " → track ", t.track_id(), " (", t.name(), ")"));
    return out;
  }
  if (in.reason == v1::RECYCLE_REASON_DISQUALIFIED) {
    out.why = MakeReason("nurture.not_nurturable",
                         StrCat(what, ": no nurture track takes this disqualification"));
    return out;
  }
  out.track = FindTrack(nurture, nurture.default_track_id());
  out.why = MakeReason("nurture.default_track",
                       StrCat(what, " → the default track ", nurture.default_track_id(),
                              " (no other track matched)"));
  return out;
}

}  // namespace leadflow::recycle
