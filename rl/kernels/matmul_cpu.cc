#include "rl/kernels/matmul.h"

#include <cblas.h>

namespace rl::kernels {

void Linear(const float* x, int64_t ldx, const float* W, int64_t n, int64_t in, int64_t out,
            float* y, int64_t ldy, bool accumulate) {
  if (n == 0 || out == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, ldx, W, in,
              accumulate ? 1.0f : 0.0f, y, ldy);
}

}  // namespace rl::kernels
