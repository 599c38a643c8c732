#include "rl/kernels/lightning_attention.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "rl/kernels/decay.h"
#include "rl/kernels/vec.h"

namespace rl::kernels {

void LightningAttentionNaive(const LightningShape& s, const double* slopes, const float* q,
                             const float* k, const float* v, float* state, float* o) {
  const int64_t T = s.T, H = s.H, D = s.D;
  std::vector<float> pw(static_cast<size_t>(T + 1));
  std::vector<float> acc(static_cast<size_t>(D));
  for (int64_t h = 0; h < H; ++h) {
    FillDecayPowers(slopes[h], T + 1, pw.data());
    float* kv = state + h * D * D;  // (D, D)
    for (int64_t t = 0; t < T; ++t) {
      const float* qt = q + t * s.ld + h * s.hs;
      // Contribution of the incoming state: λ^(t+1) q_t kv_{−1}.
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t a = 0; a < D; ++a) vec::Axpy(qt[a], kv + a * D, acc.data(), D);
      vec::Scale(pw[t + 1], acc.data(), D);
      for (int64_t u = 0; u <= t; ++u) {
        const float* ku = k + u * s.ld + h * s.hs;
        const float* vu = v + u * s.ld + h * s.hs;
        vec::Axpy(pw[t - u] * vec::Dot(qt, ku, D), vu, acc.data(), D);
      }
      std::copy(acc.begin(), acc.end(), o + t * s.out_stride() + h * D);
    }
    // kv_{T−1} = λ^T kv_{−1} + Σ_u λ^(T−1−u) k_uᵀ v_u.
    vec::Scale(pw[T], kv, D * D);
    for (int64_t u = 0; u < T; ++u) {
      const float* ku = k + u * s.ld + h * s.hs;
      const float* vu = v + u * s.ld + h * s.hs;
      for (int64_t a = 0; a < D; ++a) vec::Axpy(pw[T - 1 - u] * ku[a], vu, kv + a * D, D);
    }
  }
}

void LightningAttentionRecurrent(const LightningShape& s, const double* slopes, const float* q,
                                 const float* k, const float* v, float* state, float* o) {
  const int64_t T = s.T, H = s.H, D = s.D;
  for (int64_t h = 0; h < H; ++h) {
    const float lambda = DecayPower(slopes[h], 1);
    float* kv = state + h * D * D;  // (D, D)
    for (int64_t t = 0; t < T; ++t) {
      const float* qt = q + t * s.ld + h * s.hs;
      const float* kt = k + t * s.ld + h * s.hs;
      const float* vt = v + t * s.ld + h * s.hs;
      float* ot = o + t * s.out_stride() + h * D;
      std::fill(ot, ot + D, 0.0f);
      // One pass over kv: update row a, then accumulate q_t[a]·row a into o_t.
      for (int64_t a = 0; a < D; ++a) {
        float* row = kv + a * D;
        vec::ScaleAxpy(lambda, row, kt[a], vt, D);
        vec::Axpy(qt[a], row, ot, D);
      }
    }
  }
}

int64_t LightningBlockSize(int64_t T) {
  if (T <= 32) return 32;
  if (T <= 64) return 64;
  if (T <= 128) return 128;
  return 256;
}

int64_t LightningBlockedScratch(int64_t B, int64_t D) {
  // Decay powers (B + 1), the masked score block (B, B), a row-scaled copy of Q or K (B, D).
  return (B + 1) + B * B + B * D;
}

void LightningAttentionBlocked(const LightningShape& s, const double* slopes, const float* q,
                               const float* k, const float* v, float* state, float* o,
                               int64_t block, float* scratch) {
  const int64_t T = s.T, H = s.H, D = s.D;
  const int64_t B = block > 0 ? block : LightningBlockSize(T);
  const int64_t ldo = s.out_stride();
  float* pw = scratch;              // (B + 1): λ^n
  float* sc = pw + (B + 1);         // (B, B)
  float* scaled = sc + B * B;       // (B, D)
  for (int64_t h = 0; h < H; ++h) {
    FillDecayPowers(slopes[h], B + 1, pw);
    float* kv = state + h * D * D;  // (D, D)
    for (int64_t t0 = 0; t0 < T; t0 += B) {
      const int64_t m = std::min(B, T - t0);
      const float* qb = q + t0 * s.ld + h * s.hs;  // (m, D), row stride ld
      const float* kb = k + t0 * s.ld + h * s.hs;
      const float* vb = v + t0 * s.ld + h * s.hs;
      float* ob = o + t0 * ldo + h * D;            // (m, D), row stride H·D
      // O_intra = ((Q Kᵀ) ⊙ Dg) V with Dg[i, j] = λ^(i−j) for i ≥ j, else 0.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, D, 1.0f, qb, s.ld, kb, s.ld,
                  0.0f, sc, m);
      for (int64_t i = 0; i < m; ++i) {
        float* row = sc + i * m;
        for (int64_t j = 0; j <= i; ++j) row[j] *= pw[i - j];
        std::fill(row + i + 1, row + m, 0.0f);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, D, m, 1.0f, sc, m, vb, s.ld,
                  0.0f, ob, ldo);
      // O_inter = (Q ⊙ λ^(i+1)) KV with KV the state after the previous block.
      for (int64_t i = 0; i < m; ++i) {
        const float* qi = qb + i * s.ld;
        float* di = scaled + i * D;
        for (int64_t d = 0; d < D; ++d) di[d] = qi[d] * pw[i + 1];
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, D, D, 1.0f, scaled, D, kv, D,
                  1.0f, ob, ldo);
      // KV = λ^m KV + (K ⊙ λ^(m−1−j))ᵀ V.
      for (int64_t j = 0; j < m; ++j) {
        const float* kj = kb + j * s.ld;
        float* dj = scaled + j * D;
        for (int64_t d = 0; d < D; ++d) dj[d] = kj[d] * pw[m - 1 - j];
      }
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, D, D, m, 1.0f, scaled, D, vb, s.ld,
                  pw[m], kv, D);
    }
  }
}

}  // namespace rl::kernels
