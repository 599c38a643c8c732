// RMSNorm in fp32 (RECIPE.md): y = w ⊙ x · rsqrt(mean(x²) + eps), row by row. Used for the
// layer norms (C wide) and the joint lightning output norm (H·D wide). y may alias x.
// Pure function; thread-safe.
#pragma once

#include <cstdint>

namespace rl::kernels {

// x, y: (rows, C) contiguous; w: (C).
void RmsNorm(const float* x, const float* w, int64_t rows, int64_t C, float eps, float* y);

}  // namespace rl::kernels
