// The RL loop of `rl train` (DESIGN.md "Processes and data flow of one step"): for each step,
// draw prompts_per_step tasks by the task mix, send prompts × group_size generation requests
// to the rollout workers (spawned locally or listed in rollout.addresses) with the length
// curriculum's budget, score the samples with the reward pipeline, compute group advantages,
// run one Learner::TrainStep (old log-probs = the rollout's), publish the new weights
// (version step + 1), and write metrics, samples, curriculum events, alerts and checkpoints
// to the run store. Strictly on-policy (rollout.max_staleness is not used for overlap).
//
// Checkpoints: run.dir/checkpoints/step_N = Learner::Save + driver_state.json (step, data
// cursors, curriculum state). A resumed run restores the newest checkpoints row and continues
// with the same step counter, cursors and stage; request seeds depend only on (run.seed,
// step, prompt, sample), so the resumed run draws what the original would have.
//
// Interruption: a SIGINT/SIGTERM sets a flag (InstallStopHandlers); the loop finishes the step
// in flight, writes a checkpoint, marks the run 'interrupted' and returns. Not thread-safe.
#pragma once

#include <atomic>
#include <functional>

#include "rl/core/status.h"
#include "rl/driver/run_context.h"

namespace rl::driver {

struct TrainOptions {
  bool progress = true;  // one line per step on stderr
  // For tests: called after each completed step with its index (from the driver thread).
  std::function<void(int64_t step)> after_step;
};

// Sets the process-wide stop flag on SIGINT/SIGTERM.
void InstallStopHandlers();
std::atomic<bool>& StopRequested();

// Runs steps until run.steps (or a stop request). Sets the run's status: 'completed',
// 'interrupted' or 'failed'.
Status RunTraining(RunContext& ctx, const TrainOptions& options = {});

}  // namespace rl::driver
