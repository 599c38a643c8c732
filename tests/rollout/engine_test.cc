// The threaded engine: requests from several threads, weight updates while generating,
// cancellation and shutdown, against the synchronous scheduler as the reference.
#include "rollout/engine.h"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "toy_backend.h"

namespace rl::rollout {
namespace {

using testing::ToyBackend;

GenerationRequest Req(const std::string& id, int32_t first, int64_t budget) {
  GenerationRequest r;
  r.request_id = id;
  r.prompt = {first, 1};
  r.max_new_tokens = budget;
  r.sampling.temperature = 0.8f;
  r.seed = static_cast<uint64_t>(first) * 31;
  return r;
}

TEST(EngineTest, ThreadedSubmissionsMatchTheSynchronousScheduler) {
  SchedulerOptions opt;
  opt.max_batch = 4;
  opt.repetition.consecutive = 0;
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 12; ++i) reqs.push_back(Req("t" + std::to_string(i), i, 5 + i));

  ToyBackend ref_toy(20, 3);
  Scheduler ref(&ref_toy, opt);
  for (const auto& q : reqs) ASSERT_TRUE(ref.Enqueue(q).ok());
  std::vector<GenerationResult> expected_v;
  while (ref.HasWork()) ASSERT_TRUE(ref.Step(&expected_v).ok());
  std::map<std::string, GenerationResult> expected;
  for (auto& r : expected_v) expected[r.request_id] = r;

  RolloutEngine engine(std::make_unique<ToyBackend>(20, 3), opt);
  std::mutex mu;
  std::map<std::string, GenerationResult> got;
  std::promise<void> all;
  std::vector<std::thread> submitters;
  for (int t = 0; t < 3; ++t) {
    submitters.emplace_back([&, t] {
      for (size_t i = t; i < reqs.size(); i += 3) {
        engine.Submit(reqs[i], [&](GenerationResult r) {
          std::lock_guard<std::mutex> lock(mu);
          got[r.request_id] = std::move(r);
          if (got.size() == reqs.size()) all.set_value();
        });
      }
    });
  }
  for (auto& th : submitters) th.join();
  all.get_future().wait();
  for (const auto& q : reqs) {
    EXPECT_EQ(got.at(q.request_id).tokens, expected.at(q.request_id).tokens) << q.request_id;
    EXPECT_EQ(got.at(q.request_id).finish_reason, expected.at(q.request_id).finish_reason);
  }
  EXPECT_EQ(engine.Stats().samples_finished, 12);
}

TEST(EngineTest, WeightsAppliedBetweenStepsAndStopAbortsTheRest) {
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  RolloutEngine engine(std::make_unique<ToyBackend>(20, -1, false), opt);
  std::promise<GenerationResult> done;
  // Waits for weights: nothing happens until the first update.
  engine.Submit(Req("w", 2, 1 << 30), [&](GenerationResult r) { done.set_value(std::move(r)); });
  WeightApplyResult a = engine.UpdateWeightsAndWait(ToyBackend::Weights(1, 0.1f));
  ASSERT_TRUE(a.status.ok());
  while (engine.Stats().tokens_generated < 50) std::this_thread::yield();
  WeightApplyResult b = engine.UpdateWeightsAndWait(ToyBackend::Weights(2, 0.2f));
  ASSERT_TRUE(b.status.ok());
  EXPECT_EQ(engine.Stats().policy_version, 2);
  engine.Stop("test over");
  GenerationResult r = done.get_future().get();
  EXPECT_EQ(r.request_id, "w");
  EXPECT_EQ(r.finish_reason, FinishReason::kAborted);
  EXPECT_EQ(r.error, "test over");
  EXPECT_EQ(r.policy_version, 1);
  ASSERT_EQ(r.versions.size(), 2u);
  EXPECT_EQ(r.versions[1].version, 2);
  EXPECT_GE(r.versions[1].first_token, 50);
  // After Stop, a submission is answered at once.
  bool answered = false;
  engine.Submit(Req("late", 1, 3),
                [&](GenerationResult x) { answered = x.finish_reason == FinishReason::kAborted; });
  EXPECT_TRUE(answered);
}

TEST(EngineTest, CancelAndInvalidRequestsGetExactlyOneCallback) {
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  RolloutEngine engine(std::make_unique<ToyBackend>(20, -1), opt);
  std::promise<GenerationResult> bad, cancelled;
  GenerationRequest q = Req("bad", 1, 0);
  engine.Submit(q, [&](GenerationResult r) { bad.set_value(std::move(r)); });
  GenerationResult b = bad.get_future().get();
  EXPECT_EQ(b.request_id, "bad");
  EXPECT_EQ(b.finish_reason, FinishReason::kAborted);
  EXPECT_NE(b.error.find("max_new_tokens"), std::string::npos);
  uint64_t h = engine.Submit(Req("long", 1, 1 << 30),
                             [&](GenerationResult r) { cancelled.set_value(std::move(r)); });
  while (engine.Stats().tokens_generated < 10) std::this_thread::yield();
  engine.Cancel(h);
  GenerationResult c = cancelled.get_future().get();
  EXPECT_EQ(c.finish_reason, FinishReason::kAborted);
  EXPECT_GE(c.tokens.size(), 10u);
}

}  // namespace
}  // namespace rl::rollout
