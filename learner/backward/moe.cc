#include "learner/backward/moe.h"

#include <algorithm>
#include <cmath>

#include "learner/backward/basic_ops.h"

namespace rl::learner {

template <typename T>
void MoeForward(const T* h, const MoeShape& s, const MoeWeights<T>& w, MoeCache<T>* c, T* y) {
  const int64_t N = s.N, C = s.C, I = s.I, E = s.E, k = s.k;
  c->probs.assign(N * E, T(0));
  LinearForward<T>(h, w.gate, N, C, E, c->probs.data());
  c->selected.assign(N * k, 0);
  c->weights.assign(N * k, T(0));
  c->slots.assign(E, {});
  c->f.assign(E, 0.0);
  std::vector<double> mean_p(E, 0.0);
  for (int64_t t = 0; t < N; ++t) {
    T* p = c->probs.data() + t * E;
    T mx = *std::max_element(p, p + E);
    double sum = 0;
    for (int64_t e = 0; e < E; ++e) {
      p[e] = std::exp(p[e] - mx);
      sum += p[e];
    }
    for (int64_t e = 0; e < E; ++e) {
      p[e] = static_cast<T>(p[e] / sum);
      mean_p[e] += p[e];
    }
    // top-k, ties to the lower index
    double sel_sum = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t best = -1;
      for (int64_t e = 0; e < E; ++e) {
        bool taken = false;
        for (int64_t i = 0; i < j; ++i) taken |= c->selected[t * k + i] == e;
        if (!taken && (best < 0 || p[e] > p[best])) best = e;
      }
      c->selected[t * k + j] = static_cast<int32_t>(best);
      sel_sum += p[best];
      c->slots[best].push_back(t * k + j);
      c->f[best] += 1.0;
    }
    for (int64_t j = 0; j < k; ++j) {
      c->weights[t * k + j] = static_cast<T>(p[c->selected[t * k + j]] / sel_sum);
    }
  }
  c->aux = 0;
  for (int64_t e = 0; e < E; ++e) {
    c->f[e] /= static_cast<double>(k * std::max<int64_t>(N, 1));
    c->aux += c->f[e] * mean_p[e] / static_cast<double>(std::max<int64_t>(N, 1));
  }
  c->aux *= static_cast<double>(E);

  std::fill(y, y + N * C, T(0));
  c->a.assign(E, {});
  c->b.assign(E, {});
  c->out.assign(E, {});
  std::vector<T> x, hid;
  for (int64_t e = 0; e < E; ++e) {
    const auto& slots = c->slots[e];
    const int64_t n = static_cast<int64_t>(slots.size());
    if (n == 0) continue;
    x.resize(n * C);
    for (int64_t r = 0; r < n; ++r) std::copy_n(h + (slots[r] / k) * C, C, x.data() + r * C);
    auto& a = c->a[e];
    auto& b = c->b[e];
    auto& o = c->out[e];
    a.resize(n * I);
    b.resize(n * I);
    o.resize(n * C);
    hid.resize(n * I);
    LinearForward<T>(x.data(), w.w1[e], n, C, I, a.data());
    LinearForward<T>(x.data(), w.w3[e], n, C, I, b.data());
    for (int64_t i = 0; i < n * I; ++i) hid[i] = Silu(a[i]) * b[i];
    LinearForward<T>(hid.data(), w.w2[e], n, I, C, o.data());
    for (int64_t r = 0; r < n; ++r) {
      const T wt = c->weights[slots[r]];
      T* yr = y + (slots[r] / k) * C;
      for (int64_t j = 0; j < C; ++j) yr[j] += wt * o[r * C + j];
    }
  }
}

template <typename T>
void MoeBackward(const T* dy, const T* h, const MoeShape& s, const MoeWeights<T>& w,
                 const MoeCache<T>& c, double aux_scale, T* dh, const MoeGrads<T>& g) {
  const int64_t N = s.N, C = s.C, I = s.I, E = s.E, k = s.k;
  std::vector<T> gsel(N * k, T(0));  // g_i = <dy_t, expert_i(h_t)>
  std::vector<T> x, hid, dout, da, db, dx;
  for (int64_t e = 0; e < E; ++e) {
    const auto& slots = c.slots[e];
    const int64_t n = static_cast<int64_t>(slots.size());
    if (n == 0) continue;
    const auto& a = c.a[e];
    const auto& b = c.b[e];
    const auto& o = c.out[e];
    x.resize(n * C);
    dout.resize(n * C);
    for (int64_t r = 0; r < n; ++r) {
      const int64_t t = slots[r] / k;
      std::copy_n(h + t * C, C, x.data() + r * C);
      const T wt = c.weights[slots[r]];
      double gi = 0;
      for (int64_t j = 0; j < C; ++j) {
        gi += static_cast<double>(dy[t * C + j]) * o[r * C + j];
        dout[r * C + j] = wt * dy[t * C + j];
      }
      gsel[slots[r]] = static_cast<T>(gi);
    }
    hid.resize(n * I);
    for (int64_t i = 0; i < n * I; ++i) hid[i] = Silu(a[i]) * b[i];
    // hid = silu(a) ⊙ b; out = hid W2ᵀ
    da.assign(n * I, T(0));  // dhid first
    LinearBackward<T>(dout.data(), hid.data(), w.w2[e], n, I, C, da.data(), g.w2[e], false);
    db.resize(n * I);
    for (int64_t i = 0; i < n * I; ++i) {
      const T dhid = da[i];
      db[i] = dhid * Silu(a[i]);
      da[i] = dhid * b[i] * SiluGrad(a[i]);
    }
    dx.assign(n * C, T(0));
    LinearBackward<T>(da.data(), x.data(), w.w1[e], n, C, I, dx.data(), g.w1[e], true);
    LinearBackward<T>(db.data(), x.data(), w.w3[e], n, C, I, dx.data(), g.w3[e], true);
    for (int64_t r = 0; r < n; ++r) {
      T* dhr = dh + (slots[r] / k) * C;
      for (int64_t j = 0; j < C; ++j) dhr[j] += dx[r * C + j];
    }
  }
  // Router: dz_i = w_i (g_i − Σ_j w_j g_j) for selected i; plus the aux loss through p.
  std::vector<T> dz(N * E, T(0));
  for (int64_t t = 0; t < N; ++t) {
    double mean_g = 0;
    for (int64_t j = 0; j < k; ++j)
      mean_g += static_cast<double>(c.weights[t * k + j]) * gsel[t * k + j];
    for (int64_t j = 0; j < k; ++j) {
      const T wt = c.weights[t * k + j];
      dz[t * E + c.selected[t * k + j]] += static_cast<T>(wt * (gsel[t * k + j] - mean_g));
    }
    if (aux_scale != 0 && N > 0) {
      const T* p = c.probs.data() + t * E;
      double dot = 0;
      std::vector<double> dp(E);
      for (int64_t e = 0; e < E; ++e) {
        dp[e] = aux_scale * static_cast<double>(E) * c.f[e] / static_cast<double>(N);
        dot += dp[e] * p[e];
      }
      for (int64_t e = 0; e < E; ++e) dz[t * E + e] += static_cast<T>(p[e] * (dp[e] - dot));
    }
  }
  LinearBackward<T>(dz.data(), h, w.gate, N, C, E, dh, g.gate, true);
}

template void MoeForward<float>(const float*, const MoeShape&, const MoeWeights<float>&,
                                MoeCache<float>*, float*);
template void MoeForward<double>(const double*, const MoeShape&, const MoeWeights<double>&,
                                 MoeCache<double>*, double*);
template void MoeBackward<float>(const float*, const float*, const MoeShape&,
                                 const MoeWeights<float>&, const MoeCache<float>&, double, float*,
                                 const MoeGrads<float>&);
template void MoeBackward<double>(const double*, const double*, const MoeShape&,
                                  const MoeWeights<double>&, const MoeCache<double>&, double,
                                  double*, const MoeGrads<double>&);

}  // namespace rl::learner
