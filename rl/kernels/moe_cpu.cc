#include "rl/kernels/moe.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "rl/kernels/activations.h"
#include "rl/kernels/matmul.h"
#include "rl/kernels/vec.h"

namespace rl::kernels {

void MoeRoute(const float* logits, int64_t n, int64_t E, int64_t k, int32_t* idx,
              float* weights) {
  for (int64_t t = 0; t < n; ++t) {
    const float* z = logits + t * E;
    float mx = z[0];
    for (int64_t e = 1; e < E; ++e) mx = std::max(mx, z[e]);
    double sum = 0.0;
    for (int64_t e = 0; e < E; ++e) sum += std::exp(static_cast<double>(z[e] - mx));
    int32_t* it = idx + t * k;
    float* wt = weights + t * k;
    // Top-k by logit (softmax is monotone), ties to the lower id.
    for (int64_t j = 0; j < k; ++j) {
      int32_t best = -1;
      for (int64_t e = 0; e < E; ++e) {
        bool taken = false;
        for (int64_t u = 0; u < j; ++u) taken |= it[u] == e;
        if (!taken && (best < 0 || z[e] > z[best])) best = static_cast<int32_t>(e);
      }
      it[j] = best;
    }
    // p_e = exp(z_e − mx)/sum in fp32 as the router does, then renormalise over the top-k.
    float psum = 0.0f;
    for (int64_t j = 0; j < k; ++j) {
      wt[j] = static_cast<float>(std::exp(static_cast<double>(z[it[j]] - mx)) / sum);
      psum += wt[j];
    }
    for (int64_t j = 0; j < k; ++j) wt[j] /= psum;
  }
}

int64_t MoeScratch(int64_t n, int64_t k, int64_t C, int64_t I) {
  const int64_t r = n * k;
  return r * C + 2 * r * I + r * C;  // gathered inputs, w1/w3 outputs, expert outputs
}

void MoeExperts(const MoeWeights& w, const float* h, int64_t n, int64_t k, const int32_t* idx,
                const float* weights, float* y, float* scratch, int32_t* rows,
                ParallelTeam* team) {
  const int64_t C = w.C, I = w.I;
  const int64_t r_max = n * k;
  float* xg = scratch;          // (r, C) gathered token rows of one expert
  float* a = xg + r_max * C;    // (r, I)
  float* b = a + r_max * I;     // (r, I)
  float* out = b + r_max * I;   // (r, C)
  std::memset(y, 0, sizeof(float) * static_cast<size_t>(n * C));
  for (int64_t e = 0; e < w.E; ++e) {
    int64_t cnt = 0;
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t j = 0; j < k; ++j) {
        if (idx[t * k + j] == e) rows[cnt++] = static_cast<int32_t>(t * k + j);
      }
    }
    if (cnt == 0) continue;
    for (int64_t r = 0; r < cnt; ++r) {
      std::memcpy(xg + r * C, h + (rows[r] / k) * C, sizeof(float) * static_cast<size_t>(C));
    }
    Linear(xg, w.w1[e], cnt, C, I, a, false, team);
    Linear(xg, w.w3[e], cnt, C, I, b, false, team);
    SiluMulInPlace(a, b, cnt * I);
    Linear(a, w.w2[e], cnt, I, C, out, false, team);
    for (int64_t r = 0; r < cnt; ++r) {
      vec::Axpy(weights[rows[r]], out + r * C, y + (rows[r] / k) * C, C);
    }
  }
}

}  // namespace rl::kernels
