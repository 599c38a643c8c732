// Gradient checks of every op's backward against central finite differences in double, and
// the lightning kernels against the token recurrence and the dense decay-mask oracle.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "learner/backward/attention.h"
#include "learner/backward/basic_ops.h"
#include "learner/backward/moe.h"
#include "rl/core/thread_pool.h"
#include "tests/learner/grad_check.h"

namespace rl::learner {
namespace {

using testing::CheckGradient;
using testing::RandomVector;

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(BackwardOpsTest, RmsNormMatchesFiniteDifferences) {
  std::mt19937_64 rng(1);
  const int64_t N = 3, C = 7;
  auto x = RandomVector(N * C, rng), w = RandomVector(C, rng), R = RandomVector(N * C, rng);
  auto f = [&] {
    std::vector<double> y(N * C), r(N);
    RmsNormForward<double>(x.data(), w.data(), N, C, 1e-5, y.data(), r.data());
    return Dot(y, R);
  };
  std::vector<double> y(N * C), r(N), dx(N * C, 0.5), dw(C, 0.25);
  RmsNormForward<double>(x.data(), w.data(), N, C, 1e-5, y.data(), r.data());
  RmsNormBackward<double>(R.data(), x.data(), w.data(), r.data(), N, C, dx.data(), dw.data());
  for (auto& v : dx) v -= 0.5;  // accumulates
  for (auto& v : dw) v -= 0.25;
  CheckGradient("dx", x, dx, f);
  CheckGradient("dw", w, dw, f);
}

TEST(BackwardOpsTest, LinearSiluGateAndEmbedding) {
  std::mt19937_64 rng(2);
  const int64_t N = 4, in = 5, out = 6, V = 9;
  std::vector<int32_t> tokens = {3, 1, 3, 8};
  auto table = RandomVector(V * in, rng), W = RandomVector(out * in, rng),
       Wg = RandomVector(out * in, rng), R = RandomVector(N * out, rng);
  // y = σ(x Wgᵀ) ⊙ silu(x Wᵀ), x = table[tokens]
  auto f = [&] {
    std::vector<double> x(N * in), a(N * out), g(N * out), y(N * out);
    EmbeddingForward<double>(tokens.data(), N, table.data(), in, x.data());
    LinearForward<double>(x.data(), W.data(), N, in, out, a.data());
    SiluForward<double>(a.data(), N * out, a.data());
    LinearForward<double>(x.data(), Wg.data(), N, in, out, g.data());
    SigmoidGateForward<double>(g.data(), a.data(), N * out, y.data());
    return Dot(y, R);
  };
  std::vector<double> x(N * in), pre(N * out), a(N * out), g(N * out);
  EmbeddingForward<double>(tokens.data(), N, table.data(), in, x.data());
  LinearForward<double>(x.data(), W.data(), N, in, out, pre.data());
  SiluForward<double>(pre.data(), N * out, a.data());
  LinearForward<double>(x.data(), Wg.data(), N, in, out, g.data());
  std::vector<double> da(N * out), dg(N * out), dx(N * in, 0.0), dW(out * in, 0.0),
      dWg(out * in, 0.0), dtable(V * in, 0.0);
  SigmoidGateBackward<double>(R.data(), g.data(), a.data(), N * out, da.data(), dg.data());
  SiluBackward<double>(da.data(), pre.data(), N * out, da.data());
  LinearBackward<double>(da.data(), x.data(), W.data(), N, in, out, dx.data(), dW.data(), false);
  LinearBackward<double>(dg.data(), x.data(), Wg.data(), N, in, out, dx.data(), dWg.data(), true);
  EmbeddingBackward<double>(tokens.data(), N, dx.data(), in, dtable.data());
  CheckGradient("dW", W, dW, f);
  CheckGradient("dWg", Wg, dWg, f);
  CheckGradient("dtable", table, dtable, f);
}

// Token recurrence kv_t = λ kv_{t−1} + k_tᵀ v_t, o_t = q_t kv_t (one head, dense (n, D)).
std::vector<double> LightningRecurrence(const std::vector<double>& q, const std::vector<double>& k,
                                        const std::vector<double>& v, int64_t n, int64_t D,
                                        double s) {
  const double lambda = std::exp(-s);
  std::vector<double> kv(D * D, 0.0), o(n * D, 0.0);
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t a = 0; a < D; ++a) {
      for (int64_t b = 0; b < D; ++b)
        kv[a * D + b] = lambda * kv[a * D + b] + k[t * D + a] * v[t * D + b];
    }
    for (int64_t b = 0; b < D; ++b) {
      for (int64_t a = 0; a < D; ++a) o[t * D + b] += q[t * D + a] * kv[a * D + b];
    }
  }
  return o;
}

// X Yᵀ ⊙ Dm with Dm[t][s] = λ^(t−s) for t >= s else 0 (the decay mask, not a 0/1 mask).
std::vector<double> MaskedProduct(const std::vector<double>& X, const std::vector<double>& Y,
                                  int64_t n, int64_t D, double s) {
  std::vector<double> M(n * n, 0.0);
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t u = 0; u <= t; ++u) {
      double dot = 0;
      for (int64_t d = 0; d < D; ++d) dot += X[t * D + d] * Y[u * D + d];
      M[t * n + u] = dot * std::exp(-s * static_cast<double>(t - u));
    }
  }
  return M;
}

class LightningTest : public ::testing::TestWithParam<int64_t> {};  // block size

TEST_P(LightningTest, BlockedForwardAndBackwardMatchRecurrenceAndDenseOracle) {
  const int64_t block = GetParam(), n = 11, D = 4;
  std::mt19937_64 rng(3);
  auto q = RandomVector(n * D, rng), k = RandomVector(n * D, rng), v = RandomVector(n * D, rng);
  auto dO = RandomVector(n * D, rng);
  for (double s : {0.05, 0.7, 4.0}) {
    std::vector<double> o(n * D);
    LightningHeadForward<double>(q.data(), k.data(), v.data(), D, n, D, s, block, o.data(), D);
    const auto ref = LightningRecurrence(q, k, v, n, D, s);
    for (int64_t i = 0; i < n * D; ++i) ASSERT_NEAR(o[i], ref[i], 1e-12 * (1 + std::abs(ref[i])));
    std::vector<double> dq(n * D), dk(n * D), dv(n * D);
    LightningHeadBackward<double>(q.data(), k.data(), v.data(), D, dO.data(), D, n, D, s, block,
                                  dq.data(), dk.data(), dv.data());
    // Dense oracle: A = (dO Vᵀ) ⊙ Dm, P = (Q Kᵀ) ⊙ Dm; dQ = A K, dK = Aᵀ Q, dV = Pᵀ dO.
    const auto A = MaskedProduct(dO, v, n, D, s), P = MaskedProduct(q, k, n, D, s);
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t d = 0; d < D; ++d) {
        double eq = 0, ek = 0, ev = 0;
        for (int64_t u = 0; u < n; ++u) {
          eq += A[t * n + u] * k[u * D + d];
          ek += A[u * n + t] * q[u * D + d];
          ev += P[u * n + t] * dO[u * D + d];
        }
        ASSERT_NEAR(dq[t * D + d], eq, 1e-11 * (1 + std::abs(eq)));
        ASSERT_NEAR(dk[t * D + d], ek, 1e-11 * (1 + std::abs(ek)));
        ASSERT_NEAR(dv[t * D + d], ev, 1e-11 * (1 + std::abs(ev)));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Blocks, LightningTest, ::testing::Values(1, 3, 4, 11, 256));

TEST(BackwardOpsTest, PackedLightningMatchesFiniteDifferences) {
  const int64_t H = 2, D = 3, block = 2;
  std::vector<int64_t> offsets = {0, 5, 5, 9};
  const int64_t N = offsets.back();
  std::vector<double> slopes = {0.3, 1.1};
  std::mt19937_64 rng(4);
  auto qkv = RandomVector(N * 3 * H * D, rng), R = RandomVector(N * H * D, rng);
  auto f = [&] {
    std::vector<double> o(N * H * D);
    LightningForward<double>(qkv.data(), offsets, H, D, slopes, block, o.data());
    return Dot(o, R);
  };
  std::vector<double> dqkv(N * 3 * H * D);
  LightningBackward<double>(qkv.data(), R.data(), offsets, H, D, slopes, block, dqkv.data());
  CheckGradient("dqkv", qkv, dqkv, f);
}

TEST(BackwardOpsTest, SoftmaxAttentionGqaRopeMatchesFiniteDifferences) {
  const int64_t H = 4, KVH = 2, D = 6, rot = 4;
  std::vector<int64_t> offsets = {0, 4, 11};
  const int64_t N = offsets.back();
  std::mt19937_64 rng(5);
  auto q = RandomVector(N * H * D, rng), k = RandomVector(N * KVH * D, rng),
       v = RandomVector(N * KVH * D, rng), R = RandomVector(N * H * D, rng);
  auto forward = [&](std::vector<double>* o, std::vector<double>* lse, std::vector<double>* qr,
                     std::vector<double>* kr) {
    *qr = q;
    *kr = k;
    ApplyRope<double>(qr->data(), offsets, H, D, rot, 100.0, false);
    ApplyRope<double>(kr->data(), offsets, KVH, D, rot, 100.0, false);
    o->resize(N * H * D);
    lse->resize(H * N);
    SoftmaxAttentionForward<double>(qr->data(), kr->data(), v.data(), offsets, H, KVH, D, o->data(),
                                    lse->data());
  };
  auto f = [&] {
    std::vector<double> o, lse, qr, kr;
    forward(&o, &lse, &qr, &kr);
    return Dot(o, R);
  };
  std::vector<double> o, lse, qr, kr;
  forward(&o, &lse, &qr, &kr);
  // Naive check of the forward: row t of head h attends to keys of its own sequence only.
  for (int64_t sq = 0; sq < 2; ++sq) {
    for (int64_t t = offsets[sq]; t < offsets[sq + 1]; ++t) {
      for (int64_t h = 0; h < H; ++h) {
        const int64_t g = h / (H / KVH);
        std::vector<double> sc;
        for (int64_t u = offsets[sq]; u <= t; ++u) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d)
            dot += qr[(t * H + h) * D + d] * kr[(u * KVH + g) * D + d];
          sc.push_back(dot / std::sqrt(static_cast<double>(D)));
        }
        double mx = *std::max_element(sc.begin(), sc.end()), z = 0;
        for (double& x : sc) z += (x = std::exp(x - mx));
        for (int64_t d = 0; d < D; ++d) {
          double want = 0;
          for (int64_t u = offsets[sq]; u <= t; ++u) {
            want += sc[u - offsets[sq]] / z * v[(u * KVH + g) * D + d];
          }
          ASSERT_NEAR(o[(t * H + h) * D + d], want, 1e-12);
        }
      }
    }
  }
  std::vector<double> dq(N * H * D), dk(N * KVH * D), dv(N * KVH * D);
  SoftmaxAttentionBackward<double>(qr.data(), kr.data(), v.data(), o.data(), lse.data(), R.data(),
                                   offsets, H, KVH, D, dq.data(), dk.data(), dv.data());
  ApplyRope<double>(dq.data(), offsets, H, D, rot, 100.0, true);
  ApplyRope<double>(dk.data(), offsets, KVH, D, rot, 100.0, true);
  CheckGradient("dq", q, dq, f);
  CheckGradient("dk", k, dk, f);
  CheckGradient("dv", v, dv, f);
}

TEST(BackwardOpsTest, MoeRouterExpertsAndAuxLossMatchFiniteDifferences) {
  const int64_t N = 6, C = 5, I = 4, E = 4, K = 2;
  const double aux_scale = 0.3;  // large, so the aux gradient is visible in the check
  std::mt19937_64 rng(6);
  auto h = RandomVector(N * C, rng), R = RandomVector(N * C, rng);
  auto gate = RandomVector(E * C, rng);
  std::vector<std::vector<double>> w1, w2, w3;
  for (int64_t e = 0; e < E; ++e) {
    w1.push_back(RandomVector(I * C, rng));
    w3.push_back(RandomVector(I * C, rng));
    w2.push_back(RandomVector(C * I, rng));
  }
  MoeShape shape{N, C, I, E, K};
  auto weights = [&] {
    MoeWeights<double> w;
    w.gate = gate.data();
    for (int64_t e = 0; e < E; ++e) {
      w.w1.push_back(w1[e].data());
      w.w3.push_back(w3[e].data());
      w.w2.push_back(w2[e].data());
    }
    return w;
  };
  auto f = [&] {
    MoeCache<double> cache;
    std::vector<double> y(N * C);
    MoeForward<double>(h.data(), shape, weights(), &cache, y.data());
    return Dot(y, R) + aux_scale * cache.aux;
  };
  MoeCache<double> cache;
  std::vector<double> y(N * C);
  MoeForward<double>(h.data(), shape, weights(), &cache, y.data());
  // Routing by hand for token 0: top-2 of softmax(h Wgᵀ), renormalised.
  {
    std::vector<double> z(E);
    for (int64_t e = 0; e < E; ++e) {
      for (int64_t c = 0; c < C; ++c) z[e] += h[c] * gate[e * C + c];
    }
    std::vector<int> order = {0, 1, 2, 3};
    std::sort(order.begin(), order.end(), [&](int a, int b) { return z[a] > z[b]; });
    EXPECT_EQ(cache.selected[0], order[0]);
    EXPECT_EQ(cache.selected[1], order[1]);
    EXPECT_NEAR(cache.weights[0], 1.0 / (1.0 + std::exp(z[order[1]] - z[order[0]])), 1e-12);
  }
  std::vector<double> dh(N * C, 0.0), dgate(E * C, 0.0);
  std::vector<std::vector<double>> dw1(E, std::vector<double>(I * C, 0.0)),
      dw3 = dw1, dw2(E, std::vector<double>(C * I, 0.0));
  MoeGrads<double> g;
  g.gate = dgate.data();
  for (int64_t e = 0; e < E; ++e) {
    g.w1.push_back(dw1[e].data());
    g.w3.push_back(dw3[e].data());
    g.w2.push_back(dw2[e].data());
  }
  MoeBackward<double>(R.data(), h.data(), shape, weights(), cache, aux_scale, dh.data(), g);
  CheckGradient("dh", h, dh, f);
  CheckGradient("dgate", gate, dgate, f);
  for (int64_t e = 0; e < E; ++e) {
    CheckGradient("dw1", w1[e], dw1[e], f);
    CheckGradient("dw2", w2[e], dw2[e], f);
    CheckGradient("dw3", w3[e], dw3[e], f);
  }
}

TEST(BackwardOpsTest, ThreadPoolGivesBitwiseIdenticalAttention) {
  const int64_t H = 4, KVH = 2, D = 8, block = 5;
  std::vector<int64_t> offsets = {0, 13, 13, 40};
  const int64_t N = offsets.back();
  std::vector<double> slopes = {0.1, 0.3, 0.9, 2.0};
  std::mt19937_64 rng(8);
  auto qkv = RandomVector(N * 3 * H * D, rng), dO = RandomVector(N * H * D, rng);
  auto k = RandomVector(N * KVH * D, rng), v = RandomVector(N * KVH * D, rng);
  ThreadPool pool(3);
  for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
    static std::vector<double> o0, d0, so0, lse0, dq0, dk0, dv0;
    std::vector<double> o(N * H * D), d(N * 3 * H * D), so(N * H * D), lse(H * N), dq(N * H * D),
        dk(N * KVH * D), dv(N * KVH * D);
    LightningForward<double>(qkv.data(), offsets, H, D, slopes, block, o.data(), p);
    LightningBackward<double>(qkv.data(), dO.data(), offsets, H, D, slopes, block, d.data(), p);
    SoftmaxAttentionForward<double>(qkv.data(), k.data(), v.data(), offsets, H, KVH, D, so.data(),
                                    lse.data(), p);
    SoftmaxAttentionBackward<double>(qkv.data(), k.data(), v.data(), so.data(), lse.data(),
                                     dO.data(), offsets, H, KVH, D, dq.data(), dk.data(), dv.data(),
                                     p);
    if (p == nullptr) {
      o0 = o, d0 = d, so0 = so, lse0 = lse, dq0 = dq, dk0 = dk, dv0 = dv;
    } else {
      EXPECT_EQ(o, o0);
      EXPECT_EQ(d, d0);
      EXPECT_EQ(so, so0);
      EXPECT_EQ(lse, lse0);
      EXPECT_EQ(dq, dq0);
      EXPECT_EQ(dk, dk0);
      EXPECT_EQ(dv, dv0);
    }
  }
}

}  // namespace
}  // namespace rl::learner
