#include "curricula/length_curriculum.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace rl::curricula {

using nlohmann::json;

LengthCurriculum::LengthCurriculum(LengthCurriculumOptions options, int64_t fallback_budget)
    : options_(std::move(options)) {
  budgets_ = options_.stages.empty() ? std::vector<int64_t>{fallback_budget} : options_.stages;
  stage_ = std::clamp<int64_t>(options_.start_stage, 0, num_stages() - 1);
  options_.window = std::max<int64_t>(options_.window, 2);
}

std::optional<StageTransition> LengthCurriculum::Observe(int64_t step, double perplexity,
                                                         double p99_length) {
  ++steps_in_stage_;
  ppl_.push_back(perplexity);
  p99_.push_back(p99_length);
  const size_t w = static_cast<size_t>(options_.window);
  if (ppl_.size() > w) {
    ppl_.erase(ppl_.begin());
    p99_.erase(p99_.begin());
  }
  if (stage_ + 1 >= num_stages()) return std::nullopt;

  std::string reason;
  json evidence = {{"perplexity", ppl_},
                   {"p99_length", p99_},
                   {"budget", budget()},
                   {"steps_in_stage", steps_in_stage_}};
  if (ppl_.size() == w) {
    const size_t half = w / 2;
    double first = 0, second = 0;
    for (size_t i = 0; i < half; ++i) first += ppl_[i];
    for (size_t i = w - half; i < w; ++i) second += ppl_[i];
    first /= static_cast<double>(half);
    second /= static_cast<double>(half);
    double rel = first > 0 ? std::abs(second - first) / first : INFINITY;
    double p99_mean = 0;
    for (double v : p99_) p99_mean += v;
    p99_mean /= static_cast<double>(w);
    evidence["ppl_rel_change"] = rel;
    evidence["ppl_rel_change_threshold"] = options_.ppl_rel_change;
    evidence["p99_mean"] = p99_mean;
    evidence["p99_threshold"] = options_.p99_fraction * static_cast<double>(budget());
    if (rel < options_.ppl_rel_change &&
        p99_mean >= options_.p99_fraction * static_cast<double>(budget())) {
      reason = "converged_and_near_budget";
    }
  }
  if (reason.empty() && options_.max_steps_per_stage > 0 &&
      steps_in_stage_ >= options_.max_steps_per_stage) {
    reason = "max_steps_per_stage";
  }
  if (reason.empty()) return std::nullopt;

  StageTransition t;
  t.step = step;
  t.old_stage = stage_;
  t.old_budget = budget();
  ++stage_;
  t.new_stage = stage_;
  t.new_budget = budget();
  t.reason = reason;
  t.evidence_json = evidence.dump();
  steps_in_stage_ = 0;
  ppl_.clear();
  p99_.clear();
  return t;
}

std::string LengthCurriculum::SaveState() const {
  json j = {{"stage", stage_},
            {"steps_in_stage", steps_in_stage_},
            {"perplexity", ppl_},
            {"p99_length", p99_},
            {"budgets", budgets_}};
  return j.dump();
}

Status LengthCurriculum::LoadState(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("length curriculum state is not a JSON object");
  }
  try {
    auto budgets = j.at("budgets").get<std::vector<int64_t>>();
    if (budgets != budgets_) {
      return absl::FailedPreconditionError(
          "length curriculum: the checkpoint's stages differ from the config's "
          "curriculum.length.stages");
    }
    int64_t stage = j.at("stage").get<int64_t>();
    if (stage < 0 || stage >= num_stages()) {
      return absl::DataLossError("length curriculum state: stage out of range");
    }
    stage_ = stage;
    steps_in_stage_ = j.at("steps_in_stage").get<int64_t>();
    ppl_ = j.at("perplexity").get<std::vector<double>>();
    p99_ = j.at("p99_length").get<std::vector<double>>();
  } catch (const json::exception& e) {
    return absl::DataLossError(std::string("length curriculum state: ") + e.what());
  }
  return absl::OkStatus();
}

}  // namespace rl::curricula
