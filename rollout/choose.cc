#include "rollout/choose.h"

#include <cmath>
#include <string>

namespace rl::rollout {
namespace {

// log softmax(z / T)[token], accumulated in double.
float LogProb(const float* z, int64_t V, double T, int64_t token) {
  double m = -INFINITY;
  for (int64_t v = 0; v < V; ++v) m = std::max(m, z[v] / T);
  double s = 0.0;
  for (int64_t v = 0; v < V; ++v) s += std::exp(z[v] / T - m);
  return static_cast<float>(z[token] / T - m - std::log(s));
}

}  // namespace

Status ValidateSamplingParams(const SamplingParams& p) {
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature)) {
    return absl::InvalidArgumentError("sampling.temperature: must be >= 0, got " +
                                      std::to_string(p.temperature));
  }
  if (p.top_p != 1.0f || p.top_k != 0 || p.min_p != 0.0f) {
    return absl::UnimplementedError(
        "sampling: top_p/top_k/min_p need the rollout sampler (rollout/sampling.h), not merged");
  }
  return absl::OkStatus();
}

Chosen ChooseToken(const float* logits, int64_t V, const SamplingParams& params,
                   std::mt19937_64& rng) {
  Chosen c;
  if (params.temperature == 0.0f) {
    int64_t best = 0;
    for (int64_t v = 1; v < V; ++v) {
      if (logits[v] > logits[best]) best = v;
    }
    c.token = static_cast<int32_t>(best);
    c.logprob = LogProb(logits, V, 1.0, best);
    return c;
  }
  const double T = params.temperature;
  double m = -INFINITY;
  for (int64_t v = 0; v < V; ++v) m = std::max(m, logits[v] / T);
  double s = 0.0;
  for (int64_t v = 0; v < V; ++v) s += std::exp(logits[v] / T - m);
  const double u = std::uniform_real_distribution<double>(0.0, s)(rng);
  double acc = 0.0;
  int64_t pick = V - 1;
  for (int64_t v = 0; v < V; ++v) {
    acc += std::exp(logits[v] / T - m);
    if (u < acc) {
      pick = v;
      break;
    }
  }
  c.token = static_cast<int32_t>(pick);
  c.logprob = static_cast<float>(logits[pick] / T - m - std::log(s));
  return c;
}

}  // namespace rl::rollout
