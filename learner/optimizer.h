// AdamW with the M1 defaults (β1 0.9, β2 0.95, ε 1e-15), global-norm gradient clipping and
// learning-rate schedules. The optimiser owns its moments (one pair per parameter tensor, in
// the order tensors are registered); parameters and gradients stay with the caller and are
// passed as spans at each step. Not thread-safe; one optimiser per learner.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rl/core/status.h"

namespace rl::learner {

struct AdamWOptions {
  double lr = 1e-6;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-15;
  double weight_decay = 0.0;
};

enum class Schedule { kConstant, kLinearWarmup, kCosine };
bool ParseSchedule(const std::string& s, Schedule* out);

struct ScheduleOptions {
  Schedule kind = Schedule::kConstant;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double min_lr_ratio = 0.1;
};

// Learning-rate multiplier at optimiser step `step` (0-based): linear warm-up over
// warmup_steps (kLinearWarmup and kCosine), then constant (kLinearWarmup) or cosine decay to
// min_lr_ratio at total_steps (kCosine).
double LrMultiplier(const ScheduleOptions& s, int64_t step);

// Names that get no weight decay by default: norms, biases and embeddings.
bool ExemptFromDecay(const std::string& param_name);

// Global L2 norm over all gradients (accumulated in double).
double GlobalNorm(const std::vector<std::span<const float>>& grads);
// Scales grads by max_norm / norm when norm > max_norm (max_norm <= 0: no clipping).
// Returns the norm before clipping.
double ClipGlobalNorm(const std::vector<std::span<float>>& grads, double max_norm);

class AdamW {
 public:
  explicit AdamW(AdamWOptions options) : options_(options) {}

  // Registers a parameter tensor of n values; decay says whether weight decay applies.
  void AddParam(int64_t n, bool decay);

  // One update of every registered tensor with learning rate lr (already scheduled).
  // params[i], grads[i] correspond to the i-th registered tensor.
  Status Step(const std::vector<std::span<float>>& params,
              const std::vector<std::span<const float>>& grads, double lr);

  int64_t step() const { return step_; }
  const AdamWOptions& options() const { return options_; }
  // Moments, for checkpoints: m then v of each tensor.
  std::vector<std::vector<float>>& first_moments() { return m_; }
  std::vector<std::vector<float>>& second_moments() { return v_; }
  const std::vector<std::vector<float>>& first_moments() const { return m_; }
  const std::vector<std::vector<float>>& second_moments() const { return v_; }
  void set_step(int64_t step) { step_ = step; }

 private:
  AdamWOptions options_;
  std::vector<std::vector<float>> m_, v_;
  std::vector<bool> decay_;
  int64_t step_ = 0;
};

}  // namespace rl::learner
