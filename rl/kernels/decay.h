// Lightning-attention decay, the one place every decay power comes from (RECIPE.md "Decay").
// Usable from CPU and CUDA code (__host__ __device__): the slope s_{h,l} and every power
// λ^n = exp(−s·n) are computed in double and only then rounded to fp32, because fp32 1−λ of
// the deepest layer is off by 50 %. Pure functions; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define RL_HOST_DEVICE __host__ __device__
#else
#define RL_HOST_DEVICE
#endif

namespace rl::kernels {

// s_{h,l} = 2^(−8(h+1)/H) · (1 − l/(L−1) + 1e-5); for L = 1 the factor is 1 + 1e-5 (the
// original remote code). h in [0, H) is the head, l in [0, L) the global layer index
// (softmax layers counted). transformers_dialect: the transformers `minimax` port computes
// the factor as 1 − l/(L−1+1e-5) + 1e-5 (1.3 % larger s for the deepest of 80 layers);
// RECIPE.md: follow each checkpoint's own dialect.
RL_HOST_DEVICE inline double LightningSlope(int64_t h, int64_t H, int64_t l, int64_t L,
                                            bool transformers_dialect = false) {
  const double base = exp2(-8.0 * static_cast<double>(h + 1) / static_cast<double>(H));
  const double ld = static_cast<double>(l), Ld = static_cast<double>(L);
  double factor;
  if (transformers_dialect) {
    factor = 1.0 - ld / (Ld - 1.0 + 1e-5) + 1e-5;
  } else {
    factor = L == 1 ? 1.0 + 1e-5 : 1.0 - ld / (Ld - 1.0) + 1e-5;
  }
  return base * factor;
}

// λ^n = exp(−s·n), in double, rounded once.
RL_HOST_DEVICE inline float DecayPower(double slope, int64_t n) {
  return static_cast<float>(exp(-slope * static_cast<double>(n)));
}

// out[n] = λ^n for n in [0, count). out: (count).
RL_HOST_DEVICE inline void FillDecayPowers(double slope, int64_t count, float* out) {
  for (int64_t n = 0; n < count; ++n) out[n] = DecayPower(slope, n);
}

}  // namespace rl::kernels
