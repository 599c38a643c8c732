#include "rl/kernels/activations.h"

#include <algorithm>

#include "rl/kernels/vec.h"

namespace rl::kernels {
namespace {

constexpr int64_t kChunk = 256;

// e[i] = exp(−x[i]) for a chunk, vectorised.
inline void ExpNeg(const float* x, int64_t m, float* e) {
  for (int64_t i = 0; i < m; ++i) e[i] = -x[i];
  vec::ExpInPlace(e, m);
}

}  // namespace

void SiluInPlace(float* x, int64_t n) {
  float e[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = std::min(kChunk, n - i0);
    ExpNeg(x + i0, m, e);
    for (int64_t i = 0; i < m; ++i) x[i0 + i] = x[i0 + i] / (1.0f + e[i]);
  }
}

void SiluMulInPlace(float* a, const float* b, int64_t n) {
  float e[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = std::min(kChunk, n - i0);
    ExpNeg(a + i0, m, e);
    for (int64_t i = 0; i < m; ++i) a[i0 + i] = a[i0 + i] / (1.0f + e[i]) * b[i0 + i];
  }
}

void SigmoidGateInPlace(float* o, const float* g, int64_t n) {
  float e[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = std::min(kChunk, n - i0);
    ExpNeg(g + i0, m, e);
    for (int64_t i = 0; i < m; ++i) o[i0 + i] = o[i0 + i] / (1.0f + e[i]);
  }
}

}  // namespace rl::kernels
