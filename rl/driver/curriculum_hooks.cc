#include "rl/driver/curriculum_hooks.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace rl::driver {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

StatusOr<tasks::Task> DrawFiltered(const curricula::DifficultyFilter* filter,
                                   const std::function<StatusOr<tasks::Task>()>& next,
                                   uint64_t seed, int64_t max_draws, FilterCounts* counts) {
  max_draws = std::max<int64_t>(max_draws, 1);
  for (int64_t d = 0;; ++d) {
    RL_ASSIGN_OR_RETURN(tasks::Task t, next());
    if (filter == nullptr) return t;
    const curricula::FilterReason why = filter->Classify(t.id);
    if (why == curricula::FilterReason::kKept) return t;
    if (d + 1 >= max_draws) {
      ++counts->forced;
      return t;
    }
    if (filter->options().mode == "downweight") {
      const double u =
          static_cast<double>(SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(d))) >> 11) *
          0x1.0p-53;
      if (u < filter->options().downweight) {
        ++counts->downweighted;
        return t;
      }
    }
    ++(why == curricula::FilterReason::kTooEasy ? counts->dropped_easy : counts->dropped_unsolved);
  }
}

std::vector<bool> ZeroVarianceMask(const std::vector<double>& reward, const std::vector<bool>& keep,
                                   int64_t group_size) {
  std::vector<bool> out;
  if (group_size <= 0) return out;
  const size_t g = static_cast<size_t>(group_size);
  for (size_t start = 0; start + g <= reward.size(); start += g) {
    std::optional<double> first;
    bool equal = true;
    for (size_t k = start; k < start + g; ++k) {
      if (!keep[k]) continue;
      if (!first) first = reward[k];
      equal = equal && reward[k] == *first;
    }
    out.push_back(equal);
  }
  return out;
}

learner::PolicyLossOptions LossForStage(const learner::PolicyLossOptions& base,
                                        const std::vector<config::StageOverrideSection>& overrides,
                                        int64_t stage) {
  learner::PolicyLossOptions o = base;
  for (const auto& ov : overrides) {
    if (ov.stage != stage) continue;
    if (ov.eps_low >= 0) o.eps_low = ov.eps_low;
    if (ov.eps_high >= 0) o.eps_high = ov.eps_high;
    if (ov.clip_eps >= 0) o.clip_eps = ov.clip_eps;
    if (ov.dual_clip_c >= 0) o.dual_clip_c = ov.dual_clip_c;
  }
  return o;
}

double NearestRank(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
}

void AddSplitLengthMetrics(const std::vector<double>& lengths,
                           const std::vector<std::optional<bool>>& correct,
                           std::map<std::string, double>* metrics) {
  std::vector<double> ok, bad;
  for (size_t k = 0; k < lengths.size() && k < correct.size(); ++k) {
    if (correct[k].has_value()) (*correct[k] ? ok : bad).push_back(lengths[k]);
  }
  for (const auto& [name, v] :
       {std::pair<const char*, const std::vector<double>*>{"correct", &ok}, {"wrong", &bad}}) {
    if (v->empty()) continue;
    const std::string p = std::string("length/") + name + "_p";
    (*metrics)[p + "50"] = NearestRank(*v, 0.5);
    (*metrics)[p + "90"] = NearestRank(*v, 0.9);
    (*metrics)[p + "99"] = NearestRank(*v, 0.99);
  }
}

LengthBiasHook::StepOutcome LengthBiasHook::OnStep(int64_t step, const std::vector<double>& lengths,
                                                   const std::vector<bool>& genrm,
                                                   std::vector<double>* rewards) {
  StepOutcome out;
  std::vector<double> len, rew;
  std::vector<size_t> at;
  for (size_t k = 0; k < lengths.size(); ++k) {
    if (!genrm[k]) continue;
    len.push_back(lengths[k]);
    rew.push_back((*rewards)[k]);
    at.push_back(k);
  }
  if (at.empty() || !options_.enabled) return out;
  curricula::LengthRewardStats s = monitor_.ObserveStep(step, len, rew);
  double mean = 0;
  for (double r : rew) mean += r / static_cast<double>(rew.size());
  out.metrics["genrm/score_mean"] = mean;
  out.metrics["genrm/len_corr"] = s.correlation;
  out.metrics["genrm/len_slope"] = s.slope;
  out.metrics["genrm/samples"] = static_cast<double>(at.size());
  out.metrics["genrm/shaping"] = shaping_ ? 1.0 : 0.0;
  if (shaping_) {
    std::vector<double> shaped = curricula::ShapeRewardsByLength(rew, len, options_.shaping_coef);
    for (size_t m = 0; m < at.size(); ++m) (*rewards)[at[m]] = shaped[m];
  }
  out.alert = monitor_.Check(step);
  if (out.alert) {
    if (options_.action == "shape") shaping_ = true;
    if (options_.action == "pause") out.pause = true;
  }
  return out;
}

std::string LengthBiasHook::SaveState() const {
  return nlohmann::json{{"monitor", monitor_.SaveState()}, {"shaping", shaping_}}.dump();
}

Status LengthBiasHook::LoadState(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("monitor") || !j["monitor"].is_string()) {
    return absl::DataLossError("length-bias state is not a {monitor, shaping} JSON object");
  }
  RL_RETURN_IF_ERROR(monitor_.LoadState(j["monitor"].get<std::string>()));
  shaping_ = j.value("shaping", false);
  return absl::OkStatus();
}

}  // namespace rl::driver
