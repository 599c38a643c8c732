// RMSNorm, activations, Linear (sgemm), MoE routing + experts and log-softmax(z/T) against
// double-precision references computed per element from the formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "rl/kernels/activations.h"
#include "rl/kernels/log_softmax.h"
#include "rl/kernels/matmul.h"
#include "rl/kernels/moe.h"
#include "rl/kernels/rmsnorm.h"
#include "tests/kernels/test_util.h"

namespace rl::kernels {
namespace {

using testing::RandomNormal;
using testing::RelErr;

double Silu(double x) { return x / (1.0 + std::exp(-x)); }

TEST(RmsNorm, MatchesDouble) {
  const int64_t rows = 7, C = 300;
  auto x = RandomNormal(rows * C, 1, 3.0f), w = RandomNormal(C, 2);
  std::vector<double> ref(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double ms = 0;
    for (int64_t c = 0; c < C; ++c) ms += double(x[r * C + c]) * x[r * C + c];
    const double inv = 1.0 / std::sqrt(ms / C + 1e-6);
    for (int64_t c = 0; c < C; ++c) ref[r * C + c] = w[c] * x[r * C + c] * inv;
  }
  std::vector<float> y(x.size());
  RmsNorm(x.data(), w.data(), rows, C, 1e-6f, y.data());
  EXPECT_LE(RelErr(y, ref), 1e-6);
  RmsNorm(x.data(), w.data(), rows, C, 1e-6f, x.data());  // in place
  EXPECT_LE(RelErr(x, ref), 1e-6);
}

TEST(Activations, MatchDouble) {
  auto a = RandomNormal(1000, 3, 4.0f), b = RandomNormal(1000, 4);
  std::vector<double> silu(a.size()), swiglu(a.size()), gate(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    silu[i] = Silu(a[i]);
    swiglu[i] = Silu(a[i]) * b[i];
    gate[i] = b[i] / (1.0 + std::exp(-double(a[i])));
  }
  auto x = a;
  SiluInPlace(x.data(), 1000);
  EXPECT_LE(RelErr(x, silu), 1e-6);
  x = a;
  SiluMulInPlace(x.data(), b.data(), 1000);
  EXPECT_LE(RelErr(x, swiglu), 1e-6);
  x = b;
  SigmoidGateInPlace(x.data(), a.data(), 1000);
  EXPECT_LE(RelErr(x, gate), 1e-6);
}

TEST(Linear, MatchesDoubleIncludingStridesAndAccumulate) {
  for (int64_t n : {1, 13}) {  // one row goes through sgemv
    const int64_t in = 70, out = 45, ldx = 80, ldy = 50;
    auto x = RandomNormal(n * ldx, 5), W = RandomNormal(out * in, 6), y0 = RandomNormal(n * ldy, 7);
    for (bool accumulate : {false, true}) {
      std::vector<double> ref(static_cast<size_t>(n * ldy));
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t o = 0; o < ldy; ++o) {
          if (o >= out) {
            ref[i * ldy + o] = y0[i * ldy + o];
            continue;
          }
          double acc = accumulate ? y0[i * ldy + o] : 0.0;
          for (int64_t c = 0; c < in; ++c) acc += double(x[i * ldx + c]) * W[o * in + c];
          ref[i * ldy + o] = acc;
        }
      }
      auto y = y0;
      Linear(x.data(), ldx, W.data(), n, in, out, y.data(), ldy, accumulate);
      EXPECT_LE(RelErr(y, ref), 1e-6) << "n=" << n << " accumulate=" << accumulate;
    }
  }
}

TEST(Moe, RoutingAndExpertsMatchDouble) {
  const int64_t n = 9, C = 24, I = 40, E = 6, k = 2;
  auto h = RandomNormal(n * C, 8), logits = RandomNormal(n * E, 9, 2.0f);
  std::vector<std::vector<float>> w1, w2, w3;
  std::vector<const float*> p1, p2, p3;
  for (int64_t e = 0; e < E; ++e) {
    w1.push_back(RandomNormal(I * C, 100 + e, 0.2f));
    w3.push_back(RandomNormal(I * C, 200 + e, 0.2f));
    w2.push_back(RandomNormal(C * I, 300 + e, 0.2f));
    p1.push_back(w1.back().data()); p2.push_back(w2.back().data()); p3.push_back(w3.back().data());
  }
  std::vector<int32_t> idx(n * k), rows(n * k);
  std::vector<float> wts(n * k), y(n * C), scratch(MoeScratch(n, k, C, I));
  MoeRoute(logits.data(), n, E, k, idx.data(), wts.data());
  MoeExperts({C, I, E, p1.data(), p3.data(), p2.data()}, h.data(), n, k, idx.data(), wts.data(),
             y.data(), scratch.data(), rows.data());
  std::vector<double> ref(n * C, 0.0);
  for (int64_t t = 0; t < n; ++t) {
    std::vector<int> order(E);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return logits[t * E + a] > logits[t * E + b]; });
    double denom = 0;
    for (int64_t j = 0; j < k; ++j) denom += std::exp(double(logits[t * E + order[j]]));
    for (int64_t j = 0; j < k; ++j) {
      const int e = order[j];
      EXPECT_EQ(idx[t * k + j], e);
      const double wgt = std::exp(double(logits[t * E + e])) / denom;
      EXPECT_NEAR(wts[t * k + j], wgt, 1e-6);
      std::vector<double> act(I);
      for (int64_t i = 0; i < I; ++i) {
        double a = 0, b = 0;
        for (int64_t c = 0; c < C; ++c) {
          a += double(w1[e][i * C + c]) * h[t * C + c];
          b += double(w3[e][i * C + c]) * h[t * C + c];
        }
        act[i] = Silu(a) * b;
      }
      for (int64_t c = 0; c < C; ++c) {
        double acc = 0;
        for (int64_t i = 0; i < I; ++i) acc += double(w2[e][c * I + i]) * act[i];
        ref[t * C + c] += wgt * acc;
      }
    }
  }
  EXPECT_LE(RelErr(y, ref), 1e-5);
}

TEST(LogSoftmax, FullVocabularyUnderTemperatureMatchesDouble) {
  const int64_t V = 5000;
  auto z = RandomNormal(V, 11, 5.0f);
  for (float T : {1.0f, 0.7f, 1.3f}) {
    double mx = -1e300, sum = 0;
    for (float x : z) mx = std::max(mx, double(x) / T);
    for (float x : z) sum += std::exp(double(x) / T - mx);
    std::vector<double> ref(V);
    for (int64_t i = 0; i < V; ++i) ref[i] = double(z[i]) / T - mx - std::log(sum);
    std::vector<float> out(V);
    LogSoftmaxTemperature(z.data(), V, T, out.data());
    EXPECT_LE(RelErr(out, ref), 1e-6);
    for (int64_t tok : {0, 17, 4999}) EXPECT_NEAR(TokenLogProb(z.data(), V, T, tok), ref[tok], 1e-5);
    double total = 0;
    for (float lp : out) total += std::exp(double(lp));
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
}

}  // namespace
}  // namespace rl::kernels

#include "rl/kernels/parallel.h"

namespace rl::kernels {
namespace {

TEST(ParallelTeam, RunsEveryIndexExactlyOnceAcrossManyLoops) {
  ParallelTeam team(3);
  std::vector<std::atomic<int>> hits(1000);
  for (int loop = 0; loop < 50; ++loop) {
    const int64_t n = 1 + loop * 19;
    team.Run(n, [&](int64_t i) { hits[i].fetch_add(1); });
  }
  for (int64_t i = 0; i < 1000; ++i) {
    int expected = 0;
    for (int loop = 0; loop < 50; ++loop) expected += i < 1 + loop * 19;
    ASSERT_EQ(hits[i].load(), expected) << i;
  }
}

}  // namespace
}  // namespace rl::kernels

#include "rl/kernels/vec.h"

namespace rl::kernels {
namespace {

TEST(VecExp, MatchesStdExpAcrossTheRange) {
  std::vector<float> x;
  for (float v = -100.0f; v <= 88.5f; v += 0.0173f) x.push_back(v);
  x.push_back(0.0f);
  auto y = x;
  vec::ExpInPlace(y.data(), static_cast<int64_t>(y.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double ref = std::exp(static_cast<double>(x[i]));
    if (x[i] < -87.0f) {
      EXPECT_LE(y[i], 1e-37f) << x[i];  // zero or a tiny normal, never a garbage value
    } else {
      ASSERT_NEAR(y[i] / ref, 1.0, 5e-7) << "x=" << x[i];
    }
  }
}

}  // namespace
}  // namespace rl::kernels
