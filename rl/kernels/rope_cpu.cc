#include "rl/kernels/rope.h"

#include <cmath>

namespace rl::kernels {

void ApplyRope(float* x, int64_t n, int64_t heads, int64_t D, int64_t ld,
               const int64_t* positions, int64_t rotary_dim, double theta) {
  const int64_t half = rotary_dim / 2;
  if (half == 0) return;
  constexpr int64_t kMaxHalf = 512;
  float c[kMaxHalf], s[kMaxHalf];
  for (int64_t r = 0; r < n; ++r) {
    const double p = static_cast<double>(positions[r]);
    for (int64_t i = 0; i < half && i < kMaxHalf; ++i) {
      const double angle =
          p * std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(rotary_dim));
      c[i] = static_cast<float>(std::cos(angle));
      s[i] = static_cast<float>(std::sin(angle));
    }
    for (int64_t h = 0; h < heads; ++h) {
      float* xh = x + r * ld + h * D;
      for (int64_t i = 0; i < half; ++i) {
        const float a = xh[i], b = xh[i + half];
        xh[i] = a * c[i] - b * s[i];
        xh[i + half] = b * c[i] + a * s[i];
      }
    }
  }
}

}  // namespace rl::kernels
