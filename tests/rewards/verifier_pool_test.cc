// Registry, pool (fallback on error / exception / timeout / unknown kind, ordering under
// concurrency) and the shaping wrapper against hand-computed values.
#include "rewards/verifier_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "rewards/shaping.h"

namespace rl::rewards {
namespace {

tasks::Task T(const std::string& kind, const std::string& answer = "") {
  tasks::Task t;
  t.id = "id";
  t.kind = kind;
  t.answer = answer;
  return t;
}

TEST(Registry, RegisterGetAndErrors) {
  VerifierRegistry reg;
  ASSERT_TRUE(RegisterBuiltinVerifiers(reg).ok());
  for (const char* n : {"math", "countdown", "sudoku", "cipher", "zebra", "shortest_path", "sat"}) {
    EXPECT_TRUE(reg.Get(n).ok()) << n;
  }
  EXPECT_EQ(reg.Register(MakeFunctionVerifier("math", nullptr)).code(),
            absl::StatusCode::kAlreadyExists);
  auto missing = reg.Get("maht");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(missing.status().message()).find("did you mean 'math'"), std::string::npos);
}

TEST(Pool, MapsKindsAndFallsBackOnErrors) {
  VerifierRegistry reg;
  ASSERT_TRUE(RegisterBuiltinVerifiers(reg).ok());
  ASSERT_TRUE(reg.Register(MakeFunctionVerifier("broken",
                                                [](const VerifyInput&) -> StatusOr<VerifyResult> {
                                                  return absl::InternalError("boom");
                                                }))
                  .ok());
  ASSERT_TRUE(reg.Register(MakeFunctionVerifier("throws",
                                                [](const VerifyInput&) -> StatusOr<VerifyResult> {
                                                  throw std::runtime_error("bad");
                                                }))
                  .ok());
  PoolOptions o;
  o.kind_to_verifier = {{"math", "math"}, {"b", "broken"}, {"t", "throws"}};
  o.fallback_reward = -0.5f;
  auto pool = VerifierPool::Create(reg, o);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto good = (*pool)->Verify(T("math", "4"), "\\boxed{4}");
  EXPECT_EQ(good.reward, 1.0f);
  EXPECT_EQ(good.correct, true);
  EXPECT_FALSE(good.alert);
  for (const char* kind : {"b", "t", "nope"}) {
    auto r = (*pool)->Verify(T(kind), "x");
    EXPECT_EQ(r.reward, -0.5f) << kind;
    EXPECT_TRUE(r.alert);
    EXPECT_FALSE(r.correct.has_value());
    EXPECT_TRUE(r.details.contains("error"));
  }
  o.kind_to_verifier = {{"math", "nonexistent"}};
  EXPECT_EQ(VerifierPool::Create(reg, o).status().code(), absl::StatusCode::kNotFound);
}

TEST(Pool, TimeoutGivesFallbackAndTheCallerReturns) {
  VerifierRegistry reg;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  ASSERT_TRUE(reg.Register(MakeFunctionVerifier("stuck",
                                                [&](const VerifyInput&) -> StatusOr<VerifyResult> {
                                                  std::unique_lock<std::mutex> lock(mu);
                                                  cv.wait(lock, [&] { return release; });
                                                  return VerifyResult{};
                                                }))
                  .ok());
  PoolOptions o;
  o.kind_to_verifier = {{"k", "stuck"}};
  o.timeout_s = 0.2;
  o.fallback_reward = 0.25f;
  auto pool = VerifierPool::Create(reg, o);
  ASSERT_TRUE(pool.ok());
  auto r = (*pool)->Verify(T("k"), "x");
  EXPECT_TRUE(r.alert);
  EXPECT_EQ(r.reward, 0.25f);
  EXPECT_NE(r.details["error"].get<std::string>().find("timed out"), std::string::npos);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
}

TEST(Pool, BatchKeepsOrderUnderConcurrency) {
  VerifierRegistry reg;
  ASSERT_TRUE(RegisterBuiltinVerifiers(reg).ok());
  PoolOptions o;
  o.kind_to_verifier = {{"math", "math"}};
  o.concurrency = 4;
  auto pool = VerifierPool::Create(reg, o);
  ASSERT_TRUE(pool.ok());
  std::vector<tasks::Task> tasks;
  std::vector<std::string> responses;
  for (int i = 0; i < 200; ++i) {
    tasks.push_back(T("math", std::to_string(i)));
    responses.push_back("\\boxed{" + std::to_string(i % 3 == 0 ? i : i + 1) + "}");
  }
  std::vector<VerifyInput> in(200);
  for (int i = 0; i < 200; ++i) {
    in[i].task = &tasks[i];
    in[i].response = responses[i];
  }
  auto out = (*pool)->VerifyBatch(in);
  ASSERT_EQ(out.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(out[i].correct, i % 3 == 0) << i;
}

TEST(Shaping, FormatRewardFollowsTheTemplate) {
  EXPECT_TRUE(FollowsThinkFormat("<think>a</think> \\boxed{1}"));
  EXPECT_TRUE(FollowsThinkFormat("\n <think>\nx\n</think>\nanswer"));
  EXPECT_FALSE(FollowsThinkFormat("\\boxed{1}"));
  EXPECT_FALSE(FollowsThinkFormat("<think>a</think>"));                       // no answer
  EXPECT_FALSE(FollowsThinkFormat("<think>a</think> b <think>c</think> d"));  // two blocks
  EXPECT_FALSE(FollowsThinkFormat("<think>a"));
  EXPECT_FALSE(FollowsThinkFormat("x <think>a</think> b"));
}

TEST(Shaping, OverlongPenaltyIsDapoLinearRamp) {
  // budget 100, buffer 20: free up to 80, then −(n−80)/20, −1 beyond 100.
  EXPECT_DOUBLE_EQ(OverlongPenalty(50, 100, 20, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(OverlongPenalty(80, 100, 20, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(OverlongPenalty(90, 100, 20, 1.0), -0.5);
  EXPECT_DOUBLE_EQ(OverlongPenalty(95, 100, 20, 2.0), -1.5);
  EXPECT_DOUBLE_EQ(OverlongPenalty(100, 100, 20, 1.0), -1.0);
  EXPECT_DOUBLE_EQ(OverlongPenalty(150, 100, 20, 1.0), -1.0);
  EXPECT_DOUBLE_EQ(OverlongPenalty(90, -1, 20, 1.0), 0.0);  // unknown budget
}

TEST(Shaping, ComposesWithAnyVerifier) {
  VerifierRegistry reg;
  ASSERT_TRUE(RegisterBuiltinVerifiers(reg).ok());
  auto shaped = WithShaping(*reg.Get("math"), {0.5, 20, 1.0});
  tasks::Task t = T("math", "4");
  VerifyInput in;
  in.task = &t;
  in.response = "<think>2+2</think> \\boxed{4}";
  in.response_tokens = 90;
  in.budget_tokens = 100;
  auto r = shaped->Verify(in);
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(r->reward, 1.0f + 0.5f - 0.5f);
  EXPECT_EQ(r->correct, true);
  in.response = "\\boxed{5}";
  in.response_tokens = 10;
  r = shaped->Verify(in);
  EXPECT_FLOAT_EQ(r->reward, 0.0f);
  EXPECT_EQ(r->correct, false);
  EXPECT_EQ(WithShaping(*reg.Get("math"), {}), *reg.Get("math"));
}

}  // namespace
}  // namespace rl::rewards
