// The curriculum wiring of Driver::Step (driver_internal.h): difficulty filtering of the
// drawn prompts with pass-rate tracking in the store's prompt_stats, dynamic sampling (drop
// zero-variance groups, refill), the GenRM length-bias monitor and its actions, and the
// per-stage learner clipping. The pure parts are in curriculum_hooks.h.
#include <nlohmann/json.hpp>

#include "rl/driver/driver_internal.h"

namespace rl::driver::internal {
namespace {

// Draws per prompt slot before a filtered prompt is taken anyway (a source whose every
// prompt is filtered must not stall the run).
constexpr int64_t kMaxFilteredDraws = 8;

uint64_t SlotSeed(int64_t run_seed, int64_t step, int64_t group) {
  uint64_t h = static_cast<uint64_t>(run_seed) * 0x9e3779b97f4a7c15ULL;
  h ^= static_cast<uint64_t>(step) * 0xbf58476d1ce4e5b9ULL + 0x5851f42d4c957f2dULL;
  h ^= static_cast<uint64_t>(group) * 0x94d049bb133111ebULL + 0x14057b7ef767814fULL;
  return h;
}

}  // namespace

Status Driver::SetupCurricula() {
  const auto& dc = cfg_.curriculum.difficulty;
  if (dc.enabled) {
    curricula::DifficultyOptions o;
    o.enabled = true;
    o.window = dc.window;
    o.upper = dc.upper;
    o.drop_unsolved = dc.drop_unsolved;
    o.mode = dc.mode;
    o.downweight = dc.downweight;
    difficulty_ = std::make_unique<curricula::DifficultyFilter>(o);
    if (ctx_.resumed) {
      RL_ASSIGN_OR_RETURN(auto rows, ctx_.store->PromptStats(ctx_.run_id));
      difficulty_->Import(rows);
    }
  }
  const auto& lb = cfg_.curriculum.length_bias;
  curricula::LengthBiasOptions bo;
  bo.enabled = lb.enabled;
  bo.window = lb.window;
  bo.min_length_trend = lb.min_length_trend;
  bo.min_reward_trend = lb.min_reward_trend;
  bo.max_heldout_trend = lb.max_heldout_trend;
  bo.action = lb.action;
  bo.shaping_coef = lb.shaping_coef;
  length_bias_ = std::make_unique<LengthBiasHook>(bo);
  if (!length_bias_state_.empty()) RL_RETURN_IF_ERROR(length_bias_->LoadState(length_bias_state_));
  base_loss_ = learner_->loss_options();
  ApplyStageClipping(nullptr);
  return absl::OkStatus();
}

void Driver::ApplyStageClipping(learner::Metrics* m) {
  learner::PolicyLossOptions o =
      LossForStage(base_loss_, cfg_.curriculum.length.stage_overrides, curriculum_->stage());
  learner_->set_loss_options(o);
  if (m) {
    (*m)["curriculum/eps_low"] = o.eps_low;
    (*m)["curriculum/eps_high"] = o.eps_high;
  }
}

StatusOr<tasks::Task> Driver::DrawTask(int64_t step, size_t source, int64_t group) {
  return DrawFiltered(
      difficulty_.get(), [&]() { return NextTask(source); }, SlotSeed(cfg_.run.seed, step, group),
      kMaxFilteredDraws, &filter_counts_);
}

// Dynamic sampling: groups whose kept rewards are all equal are dropped (not trained) and
// replaced by freshly drawn prompts, for at most algorithm.max_refill_rounds rounds.
Status Driver::RefillZeroVariance(int64_t step, StepRollout* ro, learner::Metrics* m) {
  const int64_t G = cfg_.rollout.group_size, B = cfg_.rollout.prompts_per_step;
  int64_t zero_var = 0, rounds = 0;
  size_t checked = 0;  // groups already classified
  auto classify = [&]() {
    std::vector<bool> zv = ZeroVarianceMask(ro->reward, ro->keep, G);
    for (size_t g = checked; g < zv.size(); ++g) {
      if (!zv[g]) continue;
      ++zero_var;
      ro->dropped_group[g] = true;
      for (int64_t j = 0; j < G; ++j) ro->keep[g * static_cast<size_t>(G) + j] = false;
    }
    checked = zv.size();
  };
  auto live = [&]() {
    int64_t n = 0;
    for (bool d : ro->dropped_group) n += d ? 0 : 1;
    return n;
  };
  classify();
  while (live() < B && rounds < cfg_.algorithm.max_refill_rounds) {
    ++rounds;
    RL_RETURN_IF_ERROR(Rollout(step, static_cast<int64_t>(ro->tasks.size()), B - live(), ro));
    classify();
  }
  (*m)["filter/zero_variance_groups"] = static_cast<double>(zero_var);
  (*m)["filter/refill_rounds"] = static_cast<double>(rounds);
  (*m)["filter/groups_trained"] = static_cast<double>(live());
  return absl::OkStatus();
}

// Every scored sample is an attempt of its prompt (pass = correct, or reward > 0 for
// verifiers that do not judge correctness); the touched prompts' rows go to prompt_stats.
void Driver::RecordDifficulty(int64_t step, const StepRollout& ro, learner::Metrics* m) {
  if (!difficulty_) return;
  const size_t G = static_cast<size_t>(cfg_.rollout.group_size);
  std::vector<std::string> touched;
  for (size_t k = 0; k < ro.res.size(); ++k) {
    if (ro.res[k].finish_reason == rollout::FinishReason::kAborted) continue;
    const std::string& id = ro.tasks[k / G].id;
    difficulty_->Record(id, ro.vr[k].correct.value_or(ro.reward[k] > 0), step);
    if (touched.empty() || touched.back() != id) touched.push_back(id);
  }
  ctx_.store->UpsertPromptStats(difficulty_->Export(ctx_.run_id, touched));
  (*m)["filter/dropped_easy"] = static_cast<double>(filter_counts_.dropped_easy);
  (*m)["filter/dropped_unsolved"] = static_cast<double>(filter_counts_.dropped_unsolved);
  (*m)["filter/downweighted"] = static_cast<double>(filter_counts_.downweighted);
  (*m)["filter/forced"] = static_cast<double>(filter_counts_.forced);
}

// GenRM-scored samples (details carry a "genrm" object) feed the length-bias monitor; its
// alert is a `length_bias` row; pause stops the run after this step, shape rewrites later
// GenRM rewards (before advantages).
void Driver::MonitorLengthBias(int64_t step, StepRollout* ro, learner::Metrics* m) {
  if (!length_bias_) return;
  std::vector<double> lengths;
  std::vector<bool> genrm;
  for (size_t k = 0; k < ro->res.size(); ++k) {
    lengths.push_back(static_cast<double>(ro->res[k].tokens.size()));
    genrm.push_back(ro->keep[k] && ro->vr[k].details.contains("genrm"));
  }
  LengthBiasHook::StepOutcome out = length_bias_->OnStep(step, lengths, genrm, &ro->reward);
  for (const auto& [name, value] : out.metrics) (*m)[name] = value;
  if (!out.alert) return;
  nlohmann::json ev = nlohmann::json::parse(out.alert->evidence_json, nullptr, false);
  if (ev.is_discarded()) ev = nlohmann::json::object();
  ev["action"] = cfg_.curriculum.length_bias.action;
  Alert(step, "length_bias", out.alert->message, "warning", ev);
  if (out.pause) pause_requested_ = true;
}

}  // namespace rl::driver::internal
