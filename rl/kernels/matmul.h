// Linear layer through OpenBLAS cblas_sgemm: y = x · Wᵀ (+ y when accumulate), with W in the
// PyTorch [out, in] layout. Thread-safety: OpenBLAS's;
// distinct outputs may be computed from several threads.
#pragma once

#include <cstdint>

namespace rl::kernels {

// x: (n, in) row stride ldx; W: (out, in); y: (n, out) row stride ldy.
void Linear(const float* x, int64_t ldx, const float* W, int64_t n, int64_t in, int64_t out,
            float* y, int64_t ldy, bool accumulate = false);

// Contiguous convenience form: x (n, in), y (n, out).
inline void Linear(const float* x, const float* W, int64_t n, int64_t in, int64_t out, float* y,
                   bool accumulate = false) {
  Linear(x, in, W, n, in, out, y, out, accumulate);
}

}  // namespace rl::kernels
