#include "learner/optimizer.h"

#include <cmath>
#include <numbers>

namespace rl::learner {

bool ParseSchedule(const std::string& s, Schedule* out) {
  if (s == "constant")
    *out = Schedule::kConstant;
  else if (s == "linear_warmup")
    *out = Schedule::kLinearWarmup;
  else if (s == "cosine")
    *out = Schedule::kCosine;
  else
    return false;
  return true;
}

double LrMultiplier(const ScheduleOptions& s, int64_t step) {
  if (s.kind == Schedule::kConstant) return 1.0;
  if (step < s.warmup_steps) {
    return static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  }
  if (s.kind == Schedule::kLinearWarmup) return 1.0;
  const int64_t decay_steps = std::max<int64_t>(1, s.total_steps - s.warmup_steps);
  double progress =
      std::min(1.0, static_cast<double>(step - s.warmup_steps) / static_cast<double>(decay_steps));
  double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return s.min_lr_ratio + (1.0 - s.min_lr_ratio) * cosine;
}

bool ExemptFromDecay(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return name.find("norm") != std::string::npos || ends_with(".bias") ||
         name.find("embed_tokens") != std::string::npos;
}

double GlobalNorm(const std::vector<std::span<const float>>& grads) {
  double ss = 0;
  for (const auto& g : grads) {
    for (float x : g) ss += static_cast<double>(x) * x;
  }
  return std::sqrt(ss);
}

double ClipGlobalNorm(const std::vector<std::span<float>>& grads, double max_norm) {
  std::vector<std::span<const float>> view(grads.begin(), grads.end());
  double norm = GlobalNorm(view);
  if (max_norm > 0 && norm > max_norm) {
    float scale = static_cast<float>(max_norm / norm);
    for (const auto& g : grads) {
      for (float& x : g) x *= scale;
    }
  }
  return norm;
}

void AdamW::AddParam(int64_t n, bool decay) {
  m_.emplace_back(static_cast<size_t>(n), 0.0f);
  v_.emplace_back(static_cast<size_t>(n), 0.0f);
  decay_.push_back(decay);
}

Status AdamW::Step(const std::vector<std::span<float>>& params,
                   const std::vector<std::span<const float>>& grads, double lr) {
  if (params.size() != m_.size() || grads.size() != m_.size()) {
    return absl::InvalidArgumentError("AdamW: " + std::to_string(params.size()) + " params and " +
                                      std::to_string(grads.size()) + " grads for " +
                                      std::to_string(m_.size()) + " registered tensors");
  }
  ++step_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bc1 = 1.0 - std::pow(b1, static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(b2, static_cast<double>(step_));
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].size() != m_[i].size() || grads[i].size() != m_[i].size()) {
      return absl::InvalidArgumentError("AdamW: tensor " + std::to_string(i) + " changed size");
    }
    const double decay = decay_[i] ? options_.weight_decay : 0.0;
    float* p = params[i].data();
    const float* g = grads[i].data();
    float* m = m_[i].data();
    float* v = v_[i].data();
    for (size_t j = 0; j < params[i].size(); ++j) {
      // Moments in fp32, the update itself in double: with ε = 1e-15 and gradients down to
      // 1e-18 (M1) the ratio m̂/(√v̂ + ε) needs the range.
      m[j] = static_cast<float>(b1 * m[j] + (1 - b1) * g[j]);
      v[j] = static_cast<float>(b2 * v[j] + (1 - b2) * static_cast<double>(g[j]) * g[j]);
      double mhat = m[j] / bc1, vhat = v[j] / bc2;
      double update = mhat / (std::sqrt(vhat) + options_.eps) + decay * p[j];
      p[j] = static_cast<float>(p[j] - lr * update);
    }
  }
  return absl::OkStatus();
}

}  // namespace rl::learner
