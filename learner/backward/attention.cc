#include "learner/backward/attention.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "learner/backward/gemm.h"
#include "rl/core/thread_pool.h"

namespace rl::learner {

template <typename T>
void DecayPowers(double s, int64_t n, T* out) {
  for (int64_t i = 0; i <= n; ++i) out[i] = static_cast<T>(std::exp(-s * static_cast<double>(i)));
}

namespace {

// S (m, m) ⊙= Dg, Dg[i][j] = λ^(i−j) for i ≥ j else 0.
template <typename T>
void ApplyDecayMask(T* S, int64_t m, const T* pw) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j <= i; ++j) S[i * m + j] *= pw[i - j];
    for (int64_t j = i + 1; j < m; ++j) S[i * m + j] = T(0);
  }
}

// dst rows (m, D, stride ld) += scale[i] · src rows (m, D, dense).
template <typename T>
void AddScaledRows(T* dst, int64_t ld, const T* src, int64_t m, int64_t D, const T* scale) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t d = 0; d < D; ++d) dst[i * ld + d] += scale[i] * src[i * D + d];
  }
}

// Runs fn(i) for i in [0, n) on the pool (and the caller) or serially.
void ForEach(int64_t n, ThreadPool* pool, const std::function<void(int)>& fn) {
  if (pool == nullptr || n <= 1) {
    for (int64_t i = 0; i < n; ++i) fn(static_cast<int>(i));
  } else {
    pool->ParallelFor(static_cast<int>(n), [&](int i) {
      EnableFlushToZero();
      fn(i);
    });
  }
}

// (sequence, head) pairs with a non-empty sequence.
std::vector<std::pair<int64_t, int64_t>> Pairs(std::span<const int64_t> offsets, int64_t heads) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    if (offsets[i + 1] == offsets[i]) continue;
    for (int64_t h = 0; h < heads; ++h) out.emplace_back(static_cast<int64_t>(i), h);
  }
  return out;
}

}  // namespace

template <typename T>
void LightningHeadForward(const T* q, const T* k, const T* v, int64_t ld_in, int64_t n, int64_t D,
                          double s, int64_t block, T* o, int64_t ld_out) {
  const int64_t B = std::max<int64_t>(1, std::min(block, n));
  std::vector<T> pw(B + 1), kv(D * D, T(0)), S(B * B), tmp(B * D), scale(B);
  DecayPowers(s, B, pw.data());
  for (int64_t s0 = 0; s0 < n; s0 += B) {
    const int64_t m = std::min(B, n - s0);
    const T* qb = q + s0 * ld_in;
    const T* kb = k + s0 * ld_in;
    const T* vb = v + s0 * ld_in;
    T* ob = o + s0 * ld_out;
    // O_intra = ((Q Kᵀ) ⊙ Dg) V
    Gemm<T>(false, true, m, m, D, T(1), qb, ld_in, kb, ld_in, T(0), S.data(), m);
    ApplyDecayMask(S.data(), m, pw.data());
    Gemm<T>(false, false, m, D, m, T(1), S.data(), m, vb, ld_in, T(0), ob, ld_out);
    if (s0 > 0) {  // O_inter = (Q ⊙ λ^(i+1)) · KV
      Gemm<T>(false, false, m, D, D, T(1), qb, ld_in, kv.data(), D, T(0), tmp.data(), D);
      for (int64_t i = 0; i < m; ++i) scale[i] = pw[i + 1];
      AddScaledRows(ob, ld_out, tmp.data(), m, D, scale.data());
    }
    if (s0 + m < n) {  // KV = λ^m·KV + (K ⊙ λ^(m−1−j))ᵀ V
      for (auto& x : kv) x *= pw[m];
      for (int64_t j = 0; j < m; ++j) {
        for (int64_t d = 0; d < D; ++d) tmp[j * D + d] = kb[j * ld_in + d] * pw[m - 1 - j];
      }
      Gemm<T>(true, false, D, D, m, T(1), tmp.data(), D, vb, ld_in, T(1), kv.data(), D);
    }
  }
}

template <typename T>
void LightningHeadBackward(const T* q, const T* k, const T* v, int64_t ld_in, const T* dout,
                           int64_t ld_out, int64_t n, int64_t D, double s, int64_t block, T* dq,
                           T* dk, T* dv) {
  const int64_t B = std::max<int64_t>(1, std::min(block, n));
  std::vector<T> pw(B + 1), kv(D * D, T(0)), A(B * B), tmp(B * D), scale(B);
  DecayPowers(s, B, pw.data());
  // Forward sweep: dQ_b = ((dO Vᵀ) ⊙ Dg) K + λ^(i+1)·dO KVᵀ.
  for (int64_t s0 = 0; s0 < n; s0 += B) {
    const int64_t m = std::min(B, n - s0);
    const T* kb = k + s0 * ld_in;
    const T* vb = v + s0 * ld_in;
    const T* dob = dout + s0 * ld_out;
    T* dqb = dq + s0 * ld_in;
    Gemm<T>(false, true, m, m, D, T(1), dob, ld_out, vb, ld_in, T(0), A.data(), m);
    ApplyDecayMask(A.data(), m, pw.data());
    Gemm<T>(false, false, m, D, m, T(1), A.data(), m, kb, ld_in, T(0), dqb, ld_in);
    if (s0 > 0) {
      Gemm<T>(false, true, m, D, D, T(1), dob, ld_out, kv.data(), D, T(0), tmp.data(), D);
      for (int64_t i = 0; i < m; ++i) scale[i] = pw[i + 1];
      AddScaledRows(dqb, ld_in, tmp.data(), m, D, scale.data());
    }
    if (s0 + m < n) {
      for (auto& x : kv) x *= pw[m];
      for (int64_t j = 0; j < m; ++j) {
        for (int64_t d = 0; d < D; ++d) tmp[j * D + d] = kb[j * ld_in + d] * pw[m - 1 - j];
      }
      Gemm<T>(true, false, D, D, m, T(1), tmp.data(), D, vb, ld_in, T(1), kv.data(), D);
    }
  }
  // Reverse sweep: dK_b = Aᵀ Q + λ^(m−1−j)·V dKVᵀ, dV_b = Pᵀ dO + λ^(m−1−j)·K dKV,
  // dKV ← λ^m·dKV + (λ^(i+1) ⊙ Q)ᵀ dO.
  std::vector<T>& dkv = kv;
  std::fill(dkv.begin(), dkv.end(), T(0));
  const int64_t num_blocks = (n + B - 1) / B;
  for (int64_t b = num_blocks - 1; b >= 0; --b) {
    const int64_t s0 = b * B;
    const int64_t m = std::min(B, n - s0);
    const T* qb = q + s0 * ld_in;
    const T* kb = k + s0 * ld_in;
    const T* vb = v + s0 * ld_in;
    const T* dob = dout + s0 * ld_out;
    T* dkb = dk + s0 * ld_in;
    T* dvb = dv + s0 * ld_in;
    Gemm<T>(false, true, m, m, D, T(1), dob, ld_out, vb, ld_in, T(0), A.data(), m);
    ApplyDecayMask(A.data(), m, pw.data());
    Gemm<T>(true, false, m, D, m, T(1), A.data(), m, qb, ld_in, T(0), dkb, ld_in);
    Gemm<T>(false, true, m, m, D, T(1), qb, ld_in, kb, ld_in, T(0), A.data(), m);
    ApplyDecayMask(A.data(), m, pw.data());
    Gemm<T>(true, false, m, D, m, T(1), A.data(), m, dob, ld_out, T(0), dvb, ld_in);
    if (b + 1 < num_blocks) {
      for (int64_t j = 0; j < m; ++j) scale[j] = pw[m - 1 - j];
      Gemm<T>(false, true, m, D, D, T(1), vb, ld_in, dkv.data(), D, T(0), tmp.data(), D);
      AddScaledRows(dkb, ld_in, tmp.data(), m, D, scale.data());
      Gemm<T>(false, false, m, D, D, T(1), kb, ld_in, dkv.data(), D, T(0), tmp.data(), D);
      AddScaledRows(dvb, ld_in, tmp.data(), m, D, scale.data());
    }
    if (b > 0) {
      for (auto& x : dkv) x *= pw[m];
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t d = 0; d < D; ++d) tmp[i * D + d] = qb[i * ld_in + d] * pw[i + 1];
      }
      Gemm<T>(true, false, D, D, m, T(1), tmp.data(), D, dob, ld_out, T(1), dkv.data(), D);
    }
  }
}

template <typename T>
void LightningForward(const T* qkv, std::span<const int64_t> offsets, int64_t H, int64_t D,
                      std::span<const double> slopes, int64_t block, T* o, ThreadPool* pool) {
  const int64_t ld = 3 * H * D;
  const auto pairs = Pairs(offsets, H);
  ForEach(static_cast<int64_t>(pairs.size()), pool, [&](int idx) {
    const auto [i, h] = pairs[idx];
    const int64_t start = offsets[i], n = offsets[i + 1] - offsets[i];
    const T* base = qkv + start * ld + h * 3 * D;
    LightningHeadForward<T>(base, base + D, base + 2 * D, ld, n, D, slopes[h], block,
                            o + start * H * D + h * D, H * D);
  });
}

template <typename T>
void LightningBackward(const T* qkv, const T* dout, std::span<const int64_t> offsets, int64_t H,
                       int64_t D, std::span<const double> slopes, int64_t block, T* dqkv,
                       ThreadPool* pool) {
  const int64_t ld = 3 * H * D;
  const auto pairs = Pairs(offsets, H);
  ForEach(static_cast<int64_t>(pairs.size()), pool, [&](int idx) {
    const auto [i, h] = pairs[idx];
    const int64_t start = offsets[i], n = offsets[i + 1] - offsets[i];
    const T* base = qkv + start * ld + h * 3 * D;
    T* dbase = dqkv + start * ld + h * 3 * D;
    LightningHeadBackward<T>(base, base + D, base + 2 * D, ld, dout + start * H * D + h * D, H * D,
                             n, D, slopes[h], block, dbase, dbase + D, dbase + 2 * D);
  });
}

template <typename T>
void ApplyRope(T* x, std::span<const int64_t> offsets, int64_t heads, int64_t D, int64_t rotary_dim,
               double theta, bool inverse) {
  const int64_t half = rotary_dim / 2;
  if (half == 0) return;
  std::vector<double> inv_freq(half);
  for (int64_t i = 0; i < half; ++i) {
    inv_freq[i] = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(rotary_dim));
  }
  std::vector<T> cs(half), sn(half);
  for (size_t sq = 0; sq + 1 < offsets.size(); ++sq) {
    for (int64_t t = offsets[sq]; t < offsets[sq + 1]; ++t) {
      const double pos = static_cast<double>(t - offsets[sq]);
      for (int64_t i = 0; i < half; ++i) {
        cs[i] = static_cast<T>(std::cos(pos * inv_freq[i]));
        sn[i] =
            static_cast<T>(inverse ? -std::sin(pos * inv_freq[i]) : std::sin(pos * inv_freq[i]));
      }
      for (int64_t h = 0; h < heads; ++h) {
        T* r = x + (t * heads + h) * D;
        for (int64_t i = 0; i < half; ++i) {
          T a = r[i], b = r[i + half];
          r[i] = a * cs[i] - b * sn[i];
          r[i + half] = b * cs[i] + a * sn[i];
        }
      }
    }
  }
}

namespace {
constexpr int64_t kQueryChunk = 64;
}  // namespace

template <typename T>
void SoftmaxAttentionForward(const T* q, const T* k, const T* v, std::span<const int64_t> offsets,
                             int64_t H, int64_t KVH, int64_t D, T* o, T* lse, ThreadPool* pool) {
  const int64_t N = offsets.empty() ? 0 : offsets.back();
  const int64_t ldq = H * D, ldk = KVH * D, group = H / KVH;
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
  const auto pairs = Pairs(offsets, H);
  ForEach(static_cast<int64_t>(pairs.size()), pool, [&](int idx) {
    const auto [sq, h] = pairs[idx];
    const int64_t start = offsets[sq], n = offsets[sq + 1] - start;
    std::vector<T> S;
    const T* kh = k + start * ldk + (h / group) * D;
    const T* vh = v + start * ldk + (h / group) * D;
    for (int64_t r0 = 0; r0 < n; r0 += kQueryChunk) {
      const int64_t rc = std::min(kQueryChunk, n - r0), nk = r0 + rc;
      S.resize(rc * nk);
      const T* qc = q + (start + r0) * ldq + h * D;
      Gemm<T>(false, true, rc, nk, D, scale, qc, ldq, kh, ldk, T(0), S.data(), nk);
      for (int64_t i = 0; i < rc; ++i) {
        T* row = S.data() + i * nk;
        const int64_t valid = r0 + i + 1;
        T mx = row[0];
        for (int64_t j = 1; j < valid; ++j) mx = std::max(mx, row[j]);
        double sum = 0;
        for (int64_t j = 0; j < valid; ++j) {
          row[j] = std::exp(row[j] - mx);
          sum += row[j];
        }
        const T inv = static_cast<T>(1.0 / sum);
        for (int64_t j = 0; j < valid; ++j) row[j] *= inv;
        for (int64_t j = valid; j < nk; ++j) row[j] = T(0);
        lse[h * N + start + r0 + i] = mx + static_cast<T>(std::log(sum));
      }
      Gemm<T>(false, false, rc, D, nk, T(1), S.data(), nk, vh, ldk, T(0),
              o + (start + r0) * ldq + h * D, ldq);
    }
  });
}

template <typename T>
void SoftmaxAttentionBackward(const T* q, const T* k, const T* v, const T* o, const T* lse,
                              const T* dout, std::span<const int64_t> offsets, int64_t H,
                              int64_t KVH, int64_t D, T* dq, T* dk, T* dv, ThreadPool* pool) {
  const int64_t N = offsets.empty() ? 0 : offsets.back();
  const int64_t ldq = H * D, ldk = KVH * D, group = H / KVH;
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
  std::fill(dk, dk + N * ldk, T(0));
  std::fill(dv, dv + N * ldk, T(0));
  const auto pairs = Pairs(offsets, KVH);  // (sequence, KV head): owns its dK/dV rows
  ForEach(static_cast<int64_t>(pairs.size()), pool, [&](int idx) {
    const auto [sq, g] = pairs[idx];
    const int64_t start = offsets[sq], n = offsets[sq + 1] - start;
    std::vector<T> P, dP;
    const T* kh = k + start * ldk + g * D;
    const T* vh = v + start * ldk + g * D;
    T* dkh = dk + start * ldk + g * D;
    T* dvh = dv + start * ldk + g * D;
    for (int64_t h = g * group; h < (g + 1) * group; ++h) {
      for (int64_t r0 = 0; r0 < n; r0 += kQueryChunk) {
        const int64_t rc = std::min(kQueryChunk, n - r0), nk = r0 + rc;
        P.resize(rc * nk);
        dP.resize(rc * nk);
        const T* qc = q + (start + r0) * ldq + h * D;
        const T* oc = o + (start + r0) * ldq + h * D;
        const T* doc = dout + (start + r0) * ldq + h * D;
        Gemm<T>(false, true, rc, nk, D, scale, qc, ldq, kh, ldk, T(0), P.data(), nk);
        Gemm<T>(false, true, rc, nk, D, T(1), doc, ldq, vh, ldk, T(0), dP.data(), nk);
        for (int64_t i = 0; i < rc; ++i) {
          double di = 0;
          for (int64_t d = 0; d < D; ++d)
            di += static_cast<double>(doc[i * ldq + d]) * oc[i * ldq + d];
          const T l = lse[h * N + start + r0 + i];
          const int64_t valid = r0 + i + 1;
          T* prow = P.data() + i * nk;
          T* drow = dP.data() + i * nk;
          for (int64_t j = 0; j < valid; ++j) {
            prow[j] = std::exp(prow[j] - l);
            drow[j] = prow[j] * (drow[j] - static_cast<T>(di));
          }
          for (int64_t j = valid; j < nk; ++j) prow[j] = drow[j] = T(0);
        }
        // dQ = scale·dS K; dK += scale·dSᵀ Q; dV += Pᵀ dO.
        Gemm<T>(false, false, rc, D, nk, scale, dP.data(), nk, kh, ldk, T(0),
                dq + (start + r0) * ldq + h * D, ldq);
        Gemm<T>(true, false, nk, D, rc, scale, dP.data(), nk, qc, ldq, T(1), dkh, ldk);
        Gemm<T>(true, false, nk, D, rc, T(1), P.data(), nk, doc, ldq, T(1), dvh, ldk);
      }
    }
  });
}

#define RL_INSTANTIATE(T)                                                                          \
  template void DecayPowers<T>(double, int64_t, T*);                                               \
  template void LightningHeadForward<T>(const T*, const T*, const T*, int64_t, int64_t, int64_t,   \
                                        double, int64_t, T*, int64_t);                             \
  template void LightningHeadBackward<T>(const T*, const T*, const T*, int64_t, const T*, int64_t, \
                                         int64_t, int64_t, double, int64_t, T*, T*, T*);           \
  template void LightningForward<T>(const T*, std::span<const int64_t>, int64_t, int64_t,          \
                                    std::span<const double>, int64_t, T*, ThreadPool*);            \
  template void LightningBackward<T>(const T*, const T*, std::span<const int64_t>, int64_t,        \
                                     int64_t, std::span<const double>, int64_t, T*, ThreadPool*);  \
  template void ApplyRope<T>(T*, std::span<const int64_t>, int64_t, int64_t, int64_t, double,      \
                             bool);                                                                \
  template void SoftmaxAttentionForward<T>(const T*, const T*, const T*, std::span<const int64_t>, \
                                           int64_t, int64_t, int64_t, T*, T*, ThreadPool*);        \
  template void SoftmaxAttentionBackward<T>(const T*, const T*, const T*, const T*, const T*,      \
                                            const T*, std::span<const int64_t>, int64_t, int64_t,  \
                                            int64_t, T*, T*, T*, ThreadPool*);
RL_INSTANTIATE(float)
RL_INSTANTIATE(double)
#undef RL_INSTANTIATE

}  // namespace rl::learner
