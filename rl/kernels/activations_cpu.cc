#include "rl/kernels/activations.h"

#include <cmath>

namespace rl::kernels {

namespace {
inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
}  // namespace

void SiluInPlace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] * Sigmoid(x[i]);
}

void SiluMulInPlace(float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = a[i] * Sigmoid(a[i]) * b[i];
}

void SigmoidGateInPlace(float* o, const float* g, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] *= Sigmoid(g[i]);
}

}  // namespace rl::kernels
