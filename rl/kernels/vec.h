// Small vectorised loops (AVX-512 when the compiler targets it, scalar otherwise) used by the
// CPU kernels' hot paths: dot product, y += a·x, y = a·y. Header-only, pure, thread-safe.
#pragma once

#include <cmath>
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

// x[i] ← exp(x[i]), AVX-512 range reduction (x = n·ln2 + r, |r| ≤ ln2/2) and a degree-7
// polynomial: relative error ~2 ulp; exp of x < −87.3 (or NaN) is 0, x > 88.7 is clamped.
inline void ExpInPlace(float* x, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
  const __m512 ln2_hi = _mm512_set1_ps(0.693359375f), ln2_lo = _mm512_set1_ps(-2.12194440e-4f);
  const __m512 lo = _mm512_set1_ps(-87.33654f), hi = _mm512_set1_ps(88.7f);
  const __m512 c2 = _mm512_set1_ps(1.0f / 2), c3 = _mm512_set1_ps(1.0f / 6),
               c4 = _mm512_set1_ps(1.0f / 24), c5 = _mm512_set1_ps(1.0f / 120),
               c6 = _mm512_set1_ps(1.0f / 720), c7 = _mm512_set1_ps(1.0f / 5040),
               one = _mm512_set1_ps(1.0f);
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    // The masked forms (full mask) avoid GCC 12's -Wmaybe-uninitialized on the plain ones.
    const __mmask16 all = 0xFFFF;
    const __m512 xc = _mm512_mask_min_ps(v, all, _mm512_mask_max_ps(v, all, v, lo), hi);
    const __m512 xs = _mm512_mul_ps(xc, log2e);
    const __m512 k = _mm512_mask_roundscale_ps(xs, all, xs, _MM_FROUND_TO_NEAREST_INT);
    __m512 r = _mm512_fnmadd_ps(k, ln2_hi, xc);
    r = _mm512_fnmadd_ps(k, ln2_lo, r);
    __m512 p = _mm512_fmadd_ps(c7, r, c6);
    p = _mm512_fmadd_ps(p, r, c5);
    p = _mm512_fmadd_ps(p, r, c4);
    p = _mm512_fmadd_ps(p, r, c3);
    p = _mm512_fmadd_ps(p, r, c2);
    p = _mm512_fmadd_ps(p, r, one);
    p = _mm512_fmadd_ps(p, r, one);
    __m512 e = _mm512_mask_scalef_ps(p, all, p, k);
    // Below the fp32 normal range the true result is (flushed) zero.
    e = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, lo, _CMP_GT_OQ), e);
    _mm512_storeu_ps(x + i, e);
  }
#endif
  for (; i < n; ++i) x[i] = std::exp(x[i]);
}

// y[i] *= a.
inline void Scale(float a, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

}  // namespace rl::kernels::vec
