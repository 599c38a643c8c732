#include "rl/kernels/log_softmax.h"

#include <algorithm>
#include <cmath>

#include "rl/kernels/vec.h"

namespace rl::kernels {
namespace {

constexpr int64_t kChunk = 1024;

// log Σ_v exp((z_v − max z)/T) in double; the exps are the vectorised fp32 ones (the
// exponent (z − max)·(1/T) ≤ 0 is formed in fp32), the sum in double. *zmax = max z.
double LogSumExpShifted(const float* z, int64_t V, float inv_t, float* zmax) {
  float mx = z[0];
  for (int64_t i = 1; i < V; ++i) mx = std::max(mx, z[i]);
  float buf[kChunk];
  double sum = 0.0;
  for (int64_t i0 = 0; i0 < V; i0 += kChunk) {
    const int64_t m = std::min(kChunk, V - i0);
    for (int64_t i = 0; i < m; ++i) buf[i] = (z[i0 + i] - mx) * inv_t;
    vec::ExpInPlace(buf, m);
    for (int64_t i = 0; i < m; ++i) sum += buf[i];
  }
  *zmax = mx;
  return std::log(sum);
}

}  // namespace

void LogSoftmaxTemperature(const float* z, int64_t V, float temperature, float* out) {
  const float inv_t = 1.0f / temperature;
  float mx;
  const double lse = LogSumExpShifted(z, V, inv_t, &mx);
  for (int64_t i = 0; i < V; ++i) {
    out[i] = static_cast<float>(static_cast<double>((z[i] - mx) * inv_t) - lse);
  }
}

float TokenLogProb(const float* z, int64_t V, float temperature, int64_t token) {
  const float inv_t = 1.0f / temperature;
  float mx;
  const double lse = LogSumExpShifted(z, V, inv_t, &mx);
  return static_cast<float>(static_cast<double>((z[token] - mx) * inv_t) - lse);
}

}  // namespace rl::kernels
