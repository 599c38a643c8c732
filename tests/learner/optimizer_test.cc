#include "learner/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace rl::learner {
namespace {

TEST(AdamW, MatchesANaiveDoubleImplementation) {
  AdamWOptions o;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  AdamW opt(o);
  opt.AddParam(3, /*decay=*/true);
  opt.AddParam(2, /*decay=*/false);
  std::vector<float> p0 = {0.5f, -1.0f, 2.0f}, p1 = {0.1f, 0.2f};
  std::vector<double> q0(p0.begin(), p0.end()), q1(p1.begin(), p1.end());
  std::vector<double> m(5, 0), v(5, 0);
  for (int step = 1; step <= 5; ++step) {
    std::vector<float> g0 = {0.1f * step, -0.2f, 1e-3f}, g1 = {0.05f, -0.3f * step};
    ASSERT_TRUE(opt.Step({p0, p1}, {g0, g1}, o.lr).ok());
    std::vector<double*> q = {&q0[0], &q0[1], &q0[2], &q1[0], &q1[1]};
    std::vector<double> g = {g0[0], g0[1], g0[2], g1[0], g1[1]};
    for (int j = 0; j < 5; ++j) {
      m[j] = 0.9 * m[j] + 0.1 * g[j];
      v[j] = 0.95 * v[j] + 0.05 * g[j] * g[j];
      double mh = m[j] / (1 - std::pow(0.9, step)), vh = v[j] / (1 - std::pow(0.95, step));
      double wd = j < 3 ? 0.1 : 0.0;
      *q[j] -= 0.01 * (mh / (std::sqrt(vh) + 1e-15) + wd * *q[j]);
    }
  }
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(p0[j], q0[j], 1e-6) << j;
  for (int j = 0; j < 2; ++j) EXPECT_NEAR(p1[j], q1[j], 1e-6) << j;
  EXPECT_EQ(opt.step(), 5);
}

TEST(AdamW, TinyGradientsStillMoveWithM1Epsilon) {
  // With ε = 1e-15 a gradient of 1e-13 still gives an almost full-size first step (≈ lr/1.01),
  // as M1 needs; the common ε = 1e-8 shrinks it 1e5-fold.
  AdamW m1({1e-3, 0.9, 0.95, 1e-15, 0});
  AdamW common({1e-3, 0.9, 0.999, 1e-8, 0});
  m1.AddParam(1, false);
  common.AddParam(1, false);
  std::vector<float> a = {0.0f}, b = {0.0f};
  std::vector<float> g = {1e-13f};
  ASSERT_TRUE(m1.Step({a}, {g}, 1e-3).ok());
  ASSERT_TRUE(common.Step({b}, {g}, 1e-3).ok());
  EXPECT_NEAR(a[0], -1e-3 / (1 + 1e-2), 1e-7);
  EXPECT_NEAR(b[0], -1e-3 * 1e-13 / (1e-13 + 1e-8), 1e-10);
}

TEST(AdamW, RejectsMismatchedTensors) {
  AdamW opt({});
  opt.AddParam(2, false);
  std::vector<float> p = {1, 2, 3}, g = {1, 2, 3};
  EXPECT_FALSE(opt.Step({p}, {g}, 0.1).ok());
  EXPECT_FALSE(opt.Step({}, {}, 0.1).ok());
}

TEST(Schedule, HandComputedValues) {
  ScheduleOptions c{Schedule::kConstant, 5, 100, 0.1};
  EXPECT_EQ(LrMultiplier(c, 0), 1.0);
  ScheduleOptions w{Schedule::kLinearWarmup, 4, 100, 0.1};
  EXPECT_DOUBLE_EQ(LrMultiplier(w, 0), 0.25);
  EXPECT_DOUBLE_EQ(LrMultiplier(w, 3), 1.0);
  EXPECT_DOUBLE_EQ(LrMultiplier(w, 50), 1.0);
  ScheduleOptions cos{Schedule::kCosine, 10, 110, 0.1};
  EXPECT_DOUBLE_EQ(LrMultiplier(cos, 4), 0.5);
  EXPECT_DOUBLE_EQ(LrMultiplier(cos, 10), 1.0);
  EXPECT_NEAR(LrMultiplier(cos, 60), 0.1 + 0.9 * 0.5, 1e-12);  // halfway: cos(π/2) = 0
  EXPECT_NEAR(LrMultiplier(cos, 110), 0.1, 1e-12);
  EXPECT_NEAR(LrMultiplier(cos, 500), 0.1, 1e-12);
}

TEST(Clip, GlobalNormAndScaling) {
  std::vector<float> a = {3, 0}, b = {0, 4};
  double norm = ClipGlobalNorm({a, b}, 1.0);
  EXPECT_DOUBLE_EQ(norm, 5.0);
  EXPECT_NEAR(a[0], 0.6, 1e-7);
  EXPECT_NEAR(b[1], 0.8, 1e-7);
  std::vector<float> c = {0.3f};
  EXPECT_NEAR(ClipGlobalNorm({c}, 1.0), 0.3, 1e-7);
  EXPECT_FLOAT_EQ(c[0], 0.3f);  // below the bound: untouched
}

TEST(Decay, NormsBiasesEmbeddingsExempt) {
  EXPECT_TRUE(ExemptFromDecay("model.layers.0.input_layernorm.weight"));
  EXPECT_TRUE(ExemptFromDecay("model.layers.0.self_attn.norm.weight"));
  EXPECT_TRUE(ExemptFromDecay("model.embed_tokens.weight"));
  EXPECT_TRUE(ExemptFromDecay("x.bias"));
  EXPECT_FALSE(ExemptFromDecay("model.layers.0.self_attn.qkv_proj.weight"));
  EXPECT_FALSE(ExemptFromDecay("lm_head.weight"));
}

}  // namespace
}  // namespace rl::learner
