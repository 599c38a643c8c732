// Softmax attention (GQA, partial NeoX RoPE, causal, KV cache) against a double-precision
// reference written from the formulas; naive, blocked and token-by-token cached decode agree.
#include "rl/kernels/softmax_attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rl/kernels/rope.h"
#include "tests/kernels/test_util.h"

namespace rl::kernels {
namespace {

using testing::RandomNormal;
using testing::RelErr;

constexpr int64_t kH = 8, kKVH = 2, kD = 32, kRot = 16;
constexpr double kTheta = 10000.0;

// RoPE of one head vector at position p, in double (pairs i and i + rot/2).
std::vector<double> RopeRef(const float* x, int64_t p) {
  std::vector<double> y(x, x + kD);
  for (int64_t i = 0; i < kRot / 2; ++i) {
    const double f = std::pow(kTheta, -2.0 * i / kRot), a = p * f;
    y[i] = x[i] * std::cos(a) - x[i + kRot / 2] * std::sin(a);
    y[i + kRot / 2] = x[i + kRot / 2] * std::cos(a) + x[i] * std::sin(a);
  }
  return y;
}

// o for raw (un-rotated) q (T, H, D), k/v (T, KVH, D), all queries of one sequence.
std::vector<double> Reference(const std::vector<float>& q, const std::vector<float>& k,
                              const std::vector<float>& v, int64_t T) {
  std::vector<double> o(static_cast<size_t>(T * kH * kD), 0.0);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < kH; ++h) {
      const int64_t g = h / (kH / kKVH);
      auto qr = RopeRef(&q[(t * kH + h) * kD], t);
      std::vector<double> sc(t + 1);
      double mx = -1e300;
      for (int64_t j = 0; j <= t; ++j) {
        auto kr = RopeRef(&k[(j * kKVH + g) * kD], j);
        double d = 0;
        for (int64_t a = 0; a < kD; ++a) d += qr[a] * kr[a];
        sc[j] = d / std::sqrt(double(kD));
        mx = std::max(mx, sc[j]);
      }
      double sum = 0;
      for (auto& x : sc) sum += (x = std::exp(x - mx));
      for (int64_t j = 0; j <= t; ++j) {
        for (int64_t a = 0; a < kD; ++a) {
          o[(t * kH + h) * kD + a] += sc[j] / sum * v[(j * kKVH + g) * kD + a];
        }
      }
    }
  }
  return o;
}

TEST(SoftmaxAttention, NaiveBlockedAndCachedDecodeMatchDouble) {
  for (int64_t T : {1, 5, 64, 65, 150, 300}) {  // 300 crosses a 256-query block
    auto q = RandomNormal(T * kH * kD, 10 + T), k = RandomNormal(T * kKVH * kD, 20 + T);
    auto v = RandomNormal(T * kKVH * kD, 30 + T);
    const auto ref = Reference(q, k, v, T);
    std::vector<int64_t> pos(T);
    for (int64_t t = 0; t < T; ++t) pos[t] = t;
    auto qr = q, kr = k;
    ApplyRope(qr.data(), T, kH, kD, kH * kD, pos.data(), kRot, kTheta);
    ApplyRope(kr.data(), T, kKVH, kD, kKVH * kD, pos.data(), kRot, kTheta);
    SoftmaxAttentionShape s{T, 0, kH, kKVH, kD, kH * kD, kKVH * kD};
    std::vector<float> o(q.size()),
        scratch(static_cast<size_t>(SoftmaxAttentionScratch(s)) + (kH / kKVH) * T);
    SoftmaxAttentionNaive(s, qr.data(), kr.data(), v.data(), o.data(), scratch.data());
    EXPECT_LE(RelErr(o, ref), 1e-5) << "naive T=" << T;
    std::fill(o.begin(), o.end(), 0.0f);
    SoftmaxAttentionBlocked(s, qr.data(), kr.data(), v.data(), o.data(), scratch.data());
    EXPECT_LE(RelErr(o, ref), 1e-5) << "blocked T=" << T;
    // Decode: a KV cache filled one token at a time, one query per step at position t.
    std::vector<float> kc(k.size()), vc(v.size()), od(q.size());
    for (int64_t t = 0; t < T; ++t) {
      std::copy(k.begin() + t * kKVH * kD, k.begin() + (t + 1) * kKVH * kD, kc.begin() + t * kKVH * kD);
      std::copy(v.begin() + t * kKVH * kD, v.begin() + (t + 1) * kKVH * kD, vc.begin() + t * kKVH * kD);
      ApplyRope(kc.data() + t * kKVH * kD, 1, kKVH, kD, kKVH * kD, &pos[t], kRot, kTheta);
      std::vector<float> qt(q.begin() + t * kH * kD, q.begin() + (t + 1) * kH * kD);
      ApplyRope(qt.data(), 1, kH, kD, kH * kD, &pos[t], kRot, kTheta);
      SoftmaxAttentionShape st{1, t, kH, kKVH, kD, kH * kD, kKVH * kD};
      SoftmaxAttentionNaive(st, qt.data(), kc.data(), vc.data(), od.data() + t * kH * kD,
                            scratch.data());
    }
    EXPECT_LE(RelErr(od, ref), 1e-5) << "decode T=" << T;
    // Chunked prefill: the second half attends the cached first half.
    const int64_t h1 = T / 2;
    if (h1 > 0) {
      SoftmaxAttentionShape s2{T - h1, h1, kH, kKVH, kD, kH * kD, kKVH * kD};
      std::vector<float> oc(q.size());
      SoftmaxAttentionBlocked(s2, qr.data() + h1 * kH * kD, kr.data(), v.data(),
                              oc.data() + h1 * kH * kD, scratch.data());
      std::vector<float> tail(oc.begin() + h1 * kH * kD, oc.end());
      std::vector<double> tail_ref(ref.begin() + h1 * kH * kD, ref.end());
      EXPECT_LE(RelErr(tail, tail_ref), 1e-5) << "chunked T=" << T;
    }
  }
}

TEST(Rope, PassesThroughDimsBeyondRotaryDimAndIsIdentityAtZero) {
  auto x = RandomNormal(kH * kD, 3);
  auto y = x;
  int64_t p = 0;
  ApplyRope(y.data(), 1, kH, kD, kH * kD, &p, kRot, kTheta);
  EXPECT_EQ(x, y);
  p = 1234;
  ApplyRope(y.data(), 1, kH, kD, kH * kD, &p, kRot, kTheta);
  for (int64_t h = 0; h < kH; ++h) {
    for (int64_t a = kRot; a < kD; ++a) EXPECT_EQ(y[h * kD + a], x[h * kD + a]);
    auto ref = RopeRef(&x[h * kD], p);
    for (int64_t a = 0; a < kRot; ++a) EXPECT_NEAR(y[h * kD + a], ref[a], 1e-5);
  }
}

}  // namespace
}  // namespace rl::kernels
