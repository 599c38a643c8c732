#include "rl/kernels/softmax_attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "rl/kernels/vec.h"

namespace rl::kernels {
namespace {

// Queries per sgemm pair: large enough that OpenBLAS call overhead is amortised.
constexpr int64_t kQueryBlock = 256;

// p[0..len) ← softmax(p) in place.
void SoftmaxRow(float* p, int64_t len) {
  float mx = p[0];
  for (int64_t j = 1; j < len; ++j) mx = std::max(mx, p[j]);
  for (int64_t j = 0; j < len; ++j) p[j] -= mx;
  vec::ExpInPlace(p, len);
  float sum = 0.0f;
  for (int64_t j = 0; j < len; ++j) sum += p[j];
  vec::Scale(1.0f / sum, p, len);
}

}  // namespace

void SoftmaxAttentionNaive(const SoftmaxAttentionShape& s, const float* q, const float* k,
                           const float* v, float* o, float* scratch) {
  const int64_t D = s.D, group = s.H / s.KVH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  for (int64_t r = 0; r < s.n; ++r) {
    const int64_t len = s.p0 + r + 1;
    // The query heads of one kv head share a pass over its keys and values: each cached row
    // is read once per group, not once per head (decode is bound by reading the cache).
    for (int64_t g = 0; g < s.KVH; ++g) {
      const float* qg = q + r * s.ldq + g * group * D;  // (group, D)
      for (int64_t j = 0; j < len; ++j) {
        const float* kj = k + j * s.ldk + g * D;
        for (int64_t u = 0; u < group; ++u) scratch[u * len + j] = scale * vec::Dot(qg + u * D, kj, D);
      }
      for (int64_t u = 0; u < group; ++u) SoftmaxRow(scratch + u * len, len);
      float* og = o + r * s.ldq + g * group * D;
      std::fill(og, og + group * D, 0.0f);
      for (int64_t j = 0; j < len; ++j) {
        const float* vj = v + j * s.ldk + g * D;
        for (int64_t u = 0; u < group; ++u) vec::Axpy(scratch[u * len + j], vj, og + u * D, D);
      }
    }
  }
}

int64_t SoftmaxAttentionScratch(const SoftmaxAttentionShape& s) {
  return std::min(kQueryBlock, std::max<int64_t>(s.n, 1)) * (s.p0 + s.n);
}

void SoftmaxAttentionBlocked(const SoftmaxAttentionShape& s, const float* q, const float* k,
                             const float* v, float* o, float* scratch) {
  const int64_t D = s.D, group = s.H / s.KVH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  for (int64_t h = 0; h < s.H; ++h) {
    const int64_t g = h / group;
    for (int64_t r0 = 0; r0 < s.n; r0 += kQueryBlock) {
      const int64_t m = std::min(kQueryBlock, s.n - r0);
      const int64_t len = s.p0 + r0 + m;  // keys the last query of the block sees
      const float* qb = q + r0 * s.ldq + h * D;
      float* sc = scratch;  // (m, len)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, len, D, scale, qb, s.ldq,
                  k + g * D, s.ldk, 0.0f, sc, len);
      for (int64_t i = 0; i < m; ++i) {
        float* row = sc + i * len;
        const int64_t row_len = s.p0 + r0 + i + 1;
        SoftmaxRow(row, row_len);
        std::fill(row + row_len, row + len, 0.0f);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, D, len, 1.0f, sc, len,
                  v + g * D, s.ldk, 0.0f, o + r0 * s.ldq + h * D, s.ldq);
    }
  }
}

}  // namespace rl::kernels
