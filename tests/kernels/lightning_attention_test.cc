// Lightning attention: the naive masked form, the recurrence and the blocked prefill against
// an independent double-precision recurrence, with slopes from the real formula.
#include "rl/kernels/lightning_attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rl/core/thread_pool.h"
#include "rl/kernels/decay.h"
#include "tests/kernels/test_util.h"

namespace rl::kernels {
namespace {

using testing::RandomNormal;
using testing::RelErr;

constexpr int64_t kH = 4, kD = 32, kLayers = 8;

// qkv in the model's interleaved layout [T][H][q|k|v][D], activated by SiLU as in the model.
struct Inputs {
  int64_t T;
  std::vector<float> qkv;
  LightningShape shape() const { return {T, kH, kD, 3 * kH * kD, 3 * kD}; }
  const float* q() const { return qkv.data(); }
  const float* k() const { return qkv.data() + kD; }
  const float* v() const { return qkv.data() + 2 * kD; }
};

Inputs MakeInputs(int64_t T, uint64_t seed) {
  Inputs in{T, RandomNormal(T * 3 * kH * kD, seed)};
  for (auto& x : in.qkv) x = x / (1.0f + std::exp(-x));
  return in;
}

std::vector<double> Slopes(int64_t layer) {
  std::vector<double> s(kH);
  for (int64_t h = 0; h < kH; ++h) s[h] = LightningSlope(h, kH, layer, kLayers);
  return s;
}

// kv_t = λ kv_{t−1} + k_tᵀ v_t, o_t = q_t kv_t, all in double with λ = exp(−s).
void ReferenceDouble(const Inputs& in, const std::vector<double>& slopes,
                     std::vector<double>* state, std::vector<double>* o) {
  const auto s = in.shape();
  o->assign(static_cast<size_t>(in.T * kH * kD), 0.0);
  for (int64_t h = 0; h < kH; ++h) {
    const double lambda = std::exp(-slopes[h]);
    double* kv = state->data() + h * kD * kD;
    for (int64_t t = 0; t < in.T; ++t) {
      const float* q = in.q() + t * s.ld + h * s.hs;
      const float* k = in.k() + t * s.ld + h * s.hs;
      const float* v = in.v() + t * s.ld + h * s.hs;
      for (int64_t a = 0; a < kD; ++a) {
        for (int64_t b = 0; b < kD; ++b) kv[a * kD + b] = lambda * kv[a * kD + b] + double(k[a]) * v[b];
      }
      for (int64_t b = 0; b < kD; ++b) {
        double acc = 0.0;
        for (int64_t a = 0; a < kD; ++a) acc += double(q[a]) * kv[a * kD + b];
        (*o)[(t * kH + h) * kD + b] = acc;
      }
    }
  }
}

enum class Path { kNaive, kRecurrent, kBlocked };

void RunPath(Path path, const Inputs& in, const std::vector<double>& slopes, int64_t block,
         std::vector<float>* state, std::vector<float>* o) {
  o->assign(static_cast<size_t>(in.T * kH * kD), -1.0f);
  const auto s = in.shape();
  switch (path) {
    case Path::kNaive:
      LightningAttentionNaive(s, slopes.data(), in.q(), in.k(), in.v(), state->data(), o->data());
      break;
    case Path::kRecurrent:
      LightningAttentionRecurrent(s, slopes.data(), in.q(), in.k(), in.v(), state->data(),
                                  o->data());
      break;
    case Path::kBlocked: {
      const int64_t B = block > 0 ? block : LightningBlockSize(in.T);
      std::vector<float> scratch(static_cast<size_t>(LightningBlockedScratch(B, kD)));
      LightningAttentionBlocked(s, slopes.data(), in.q(), in.k(), in.v(), state->data(),
                                o->data(), B, scratch.data());
      break;
    }
  }
}

// Runs `path` on a random input (from a random nonzero start state), checks o and the final
// state against the double reference.
void CheckAgainstReference(Path path, int64_t T, int64_t block, int64_t layer, double tol) {
  EnableFlushToZero();
  const Inputs in = MakeInputs(T, 1000 + T + 7 * layer);
  const auto slopes = Slopes(layer);
  std::vector<float> state = RandomNormal(kH * kD * kD, 5 + T, 0.5f);
  std::vector<double> ref_state(state.begin(), state.end()), ref_o;
  ReferenceDouble(in, slopes, &ref_state, &ref_o);
  std::vector<float> o;
  RunPath(path, in, slopes, block, &state, &o);
  EXPECT_LE(RelErr(o, ref_o), tol) << "T=" << T << " block=" << block << " layer=" << layer;
  EXPECT_LE(RelErr(state, ref_state), tol) << "state T=" << T << " block=" << block;
}

TEST(LightningAttention, SlopeFormula) {
  // s_{h,l} = 2^(−8(h+1)/H)·(1 − l/(L−1) + 1e-5), by hand for H = 8, L = 80.
  EXPECT_DOUBLE_EQ(LightningSlope(0, 8, 0, 80), 0.5 * (1.0 + 1e-5));
  EXPECT_DOUBLE_EQ(LightningSlope(7, 8, 79, 80), std::pow(2.0, -8.0) * 1e-5);
  EXPECT_DOUBLE_EQ(LightningSlope(3, 8, 5, 1), 1.0 / 16.0 * (1.0 + 1e-5));
  // The transformers port: factor 1 − l/(L−1+1e-5) + 1e-5.
  EXPECT_DOUBLE_EQ(LightningSlope(7, 8, 79, 80, true),
                   std::pow(2.0, -8.0) * (1.0 - 79.0 / (79.0 + 1e-5) + 1e-5));
  EXPECT_DOUBLE_EQ(LightningSlope(2, 8, 0, 1, true), LightningSlope(2, 8, 0, 1));
  // Powers come from s·n in double, not from repeated fp32 products.
  const double s = LightningSlope(7, 8, 79, 80);
  EXPECT_NEAR(DecayPower(s, 100000), std::exp(-s * 100000.0), 1e-7);
  EXPECT_EQ(DecayPower(LightningSlope(0, 8, 0, 80), 300), 0.0f);  // underflows to exactly 0
}

TEST(LightningAttention, NaiveMatchesDouble) {
  for (int64_t T : {1, 31, 32, 33, 103}) {
    for (int64_t layer : {int64_t{0}, int64_t{3}, kLayers - 1}) CheckAgainstReference(Path::kNaive, T, 0, layer, 1e-5);
  }
}

TEST(LightningAttention, RecurrentMatchesDouble) {
  for (int64_t T : {1, 63, 64, 65, 199}) {
    for (int64_t layer : {int64_t{0}, int64_t{3}, kLayers - 1}) CheckAgainstReference(Path::kRecurrent, T, 0, layer, 1e-5);
  }
}

TEST(LightningAttention, BlockedMatchesDoubleAtBlockEdges) {
  for (int64_t B : {32, 64, 128, 256}) {
    for (int64_t T : {int64_t{1}, B - 1, B, B + 1, 3 * B + 7}) {
      for (int64_t layer : {int64_t{0}, int64_t{4}, kLayers - 1}) {
        CheckAgainstReference(Path::kBlocked, T, B, layer, 1e-5);
      }
    }
  }
}

TEST(LightningAttention, BlockSizeByLength) {
  EXPECT_EQ(LightningBlockSize(1), 32);
  EXPECT_EQ(LightningBlockSize(32), 32);
  EXPECT_EQ(LightningBlockSize(33), 64);
  EXPECT_EQ(LightningBlockSize(128), 128);
  EXPECT_EQ(LightningBlockSize(129), 256);
  EXPECT_EQ(LightningBlockSize(100000), 256);
}

TEST(LightningAttention, LongSequencesMatchDouble) {
  CheckAgainstReference(Path::kBlocked, 2100, 0, 0, 1e-4);
  CheckAgainstReference(Path::kBlocked, 2100, 0, kLayers - 1, 1e-4);
  CheckAgainstReference(Path::kRecurrent, 2100, 0, kLayers - 1, 1e-4);
  CheckAgainstReference(Path::kNaive, 2000, 0, 2, 1e-4);
}

TEST(LightningAttention, PrefillContinuedFromCachedStateEqualsOneLongPrefill) {
  EnableFlushToZero();
  const int64_t T = 700, split = 293;
  const Inputs all = MakeInputs(T, 77);
  const auto slopes = Slopes(2);
  // One long prefill from the zero state.
  std::vector<float> state_all(kH * kD * kD, 0.0f), o_all;
  RunPath(Path::kBlocked, all, slopes, 0, &state_all, &o_all);
  // Two chunks, the second starting from the state the first returned (its own block size).
  Inputs first{split, {all.qkv.begin(), all.qkv.begin() + split * 3 * kH * kD}};
  Inputs second{T - split, {all.qkv.begin() + split * 3 * kH * kD, all.qkv.end()}};
  std::vector<float> state(kH * kD * kD, 0.0f), o1, o2;
  RunPath(Path::kBlocked, first, slopes, 0, &state, &o1);
  RunPath(Path::kBlocked, second, slopes, 0, &state, &o2);
  o1.insert(o1.end(), o2.begin(), o2.end());
  EXPECT_LE(RelErr(o1, o_all), 1e-5);
  EXPECT_LE(RelErr(state, state_all), 1e-5);
  // And decode after the prefill equals the tail of the long prefill.
  std::vector<float> state_dec(kH * kD * kD, 0.0f), o_head, o_tail;
  RunPath(Path::kBlocked, first, slopes, 0, &state_dec, &o_head);
  RunPath(Path::kRecurrent, second, slopes, 0, &state_dec, &o_tail);
  std::vector<float> tail_ref(o_all.begin() + split * kH * kD, o_all.end());
  EXPECT_LE(RelErr(o_tail, tail_ref), 1e-5);
}

}  // namespace
}  // namespace rl::kernels
