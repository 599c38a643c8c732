// Small vectorised loops (AVX-512 when the compiler targets it, scalar otherwise) used by the
// CPU kernels' hot paths: dot product, y += a·x, y = a·y. Header-only, pure, thread-safe.
#pragma once

#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace rl::kernels::vec {

// Σ x[i]·y[i], fp32 accumulation in 16 lanes.
inline float Dot(const float* x, const float* y, int64_t n) {
  int64_t i = 0;
  float s = 0.0f;
#if defined(__AVX512F__)
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), acc1);
  }
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc0);
  }
  // A store and a scalar sum: GCC 12's _mm512_reduce_add_ps trips -Wmaybe-uninitialized.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(acc0, acc1));
  for (int l = 0; l < 16; ++l) s += lanes[l];
#endif
  for (; i < n; ++i) s += x[i] * y[i];
  return s;
}

// y[i] += a·x[i].
inline void Axpy(float a, const float* x, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512 va = _mm512_set1_ps(a);
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  }
#endif
  for (; i < n; ++i) y[i] += a * x[i];
}

// y[i] = a·y[i] + b·x[i].
inline void ScaleAxpy(float a, float* y, float b, const float* x, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(vb, _mm512_loadu_ps(x + i),
                                            _mm512_mul_ps(va, _mm512_loadu_ps(y + i))));
  }
#endif
  for (; i < n; ++i) y[i] = a * y[i] + b * x[i];
}

// y[i] *= a.
inline void Scale(float a, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

}  // namespace rl::kernels::vec
