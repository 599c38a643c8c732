// Driver-side glue between the RL step and the curricula/ components, free of RPC and model
// state so it is unit-tested on synthetic streams (tests/driver/curriculum_hooks_test.cc):
// difficulty-filtered prompt drawing, the dynamic-sampling group mask, per-stage learner
// clipping, length percentiles split by correctness, and the GenRM length-bias monitor with
// its actions (log / pause / shape). Functions are pure; LengthBiasHook is not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "curricula/difficulty.h"
#include "curricula/length_bias.h"
#include "learner/policy_loss.h"
#include "rl/config/run_config.h"
#include "rl/core/status.h"
#include "rl/tasks/task.h"

namespace rl::driver {

// What the difficulty filter did while drawing one step's prompts.
struct FilterCounts {
  int64_t dropped_easy = 0;      // drawn, pass rate > upper, skipped
  int64_t dropped_unsolved = 0;  // drawn, pass rate exactly 0 over k, skipped
  int64_t downweighted = 0;      // filtered but accepted by the downweight coin
  int64_t forced = 0;            // accepted although filtered: max_draws reached
};

// Draws one prompt through the difficulty filter: calls next() until the filter keeps the
// prompt, or (mode downweight) a filtered prompt wins a coin of probability `downweight`
// (uniform from (seed, draw index)), or max_draws prompts were drawn — then the last one is
// taken and counted in forced. A null filter accepts the first prompt. Errors of next() pass
// through.
StatusOr<tasks::Task> DrawFiltered(const curricula::DifficultyFilter* filter,
                                   const std::function<StatusOr<tasks::Task>()>& next,
                                   uint64_t seed, int64_t max_draws, FilterCounts* counts);

// Dynamic sampling: per group (group_size consecutive samples), true when the rewards of its
// kept samples are all equal — no gradient signal. A group without kept samples is true.
std::vector<bool> ZeroVarianceMask(const std::vector<double>& reward, const std::vector<bool>& keep,
                                   int64_t group_size);

// The policy-loss options of a length stage: base with that stage's override applied
// (negative fields keep base). Stages without an override get base.
learner::PolicyLossOptions LossForStage(const learner::PolicyLossOptions& base,
                                        const std::vector<config::StageOverrideSection>& overrides,
                                        int64_t stage);

// Nearest-rank percentile (q in [0, 1]) of v; 0 for an empty v.
double NearestRank(std::vector<double> v, double q);

// length/{correct,wrong}_{p50,p90,p99} of the judged samples (correct[k] set); a class with
// no sample gets no metric.
void AddSplitLengthMetrics(const std::vector<double>& lengths,
                           const std::vector<std::optional<bool>>& correct,
                           std::map<std::string, double>* metrics);

// The length-bias monitor as the driver runs it. Per step it observes the GenRM-scored
// samples' (length, raw reward); once an alert fired with action `shape`, the GenRM rewards
// of every later step are replaced by their length-shaped values (z-score of length among
// the step's GenRM samples, coefficient shaping_coef). Action `pause` asks the driver to
// checkpoint and stop with status 'paused'.
class LengthBiasHook {
 public:
  explicit LengthBiasHook(curricula::LengthBiasOptions options)
      : options_(options), monitor_(std::move(options)) {}

  struct StepOutcome {
    std::map<std::string, double> metrics;  // genrm/* (empty without GenRM samples)
    std::optional<curricula::LengthBiasAlert> alert;
    bool pause = false;
  };
  // lengths, genrm and rewards are per sample; rewards of GenRM samples may be shaped in place.
  StepOutcome OnStep(int64_t step, const std::vector<double>& lengths,
                     const std::vector<bool>& genrm, std::vector<double>* rewards);
  void OnHeldOut(int64_t step, double accuracy) { monitor_.ObserveHeldOut(step, accuracy); }
  bool shaping() const { return shaping_; }

  std::string SaveState() const;
  Status LoadState(const std::string& json);

 private:
  curricula::LengthBiasOptions options_;
  curricula::LengthBiasMonitor monitor_;
  bool shaping_ = false;
};

}  // namespace rl::driver
