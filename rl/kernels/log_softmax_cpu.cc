#include "rl/kernels/log_softmax.h"

#include <algorithm>
#include <cmath>

namespace rl::kernels {
namespace {

// log Σ_v exp(z_v / T), with max subtraction; the sum in double.
double LogSumExp(const float* z, int64_t V, double inv_t, double* max_scaled) {
  float mx = z[0];
  for (int64_t i = 1; i < V; ++i) mx = std::max(mx, z[i]);
  const double m = static_cast<double>(mx) * inv_t;
  double sum = 0.0;
  for (int64_t i = 0; i < V; ++i) sum += std::exp(static_cast<double>(z[i]) * inv_t - m);
  *max_scaled = m;
  return m + std::log(sum);
}

}  // namespace

void LogSoftmaxTemperature(const float* z, int64_t V, float temperature, float* out) {
  const double inv_t = 1.0 / static_cast<double>(temperature);
  double m;
  const double lse = LogSumExp(z, V, inv_t, &m);
  for (int64_t i = 0; i < V; ++i) out[i] = static_cast<float>(static_cast<double>(z[i]) * inv_t - lse);
}

float TokenLogProb(const float* z, int64_t V, float temperature, int64_t token) {
  const double inv_t = 1.0 / static_cast<double>(temperature);
  double m;
  const double lse = LogSumExp(z, V, inv_t, &m);
  return static_cast<float>(static_cast<double>(z[token]) * inv_t - lse);
}

}  // namespace rl::kernels
