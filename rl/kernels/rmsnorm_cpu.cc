#include "rl/kernels/rmsnorm.h"

#include <cmath>

#include "rl/kernels/vec.h"

namespace rl::kernels {

void RmsNorm(const float* x, const float* w, int64_t rows, int64_t C, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    const float ms = vec::Dot(xr, xr, C) / static_cast<float>(C);
    const float inv = 1.0f / std::sqrt(ms + eps);
    for (int64_t c = 0; c < C; ++c) yr[c] = w[c] * (xr[c] * inv);
  }
}

}  // namespace rl::kernels
