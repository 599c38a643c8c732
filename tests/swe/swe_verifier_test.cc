// The "swe" verifier through the built-in registry: a fenced gold diff scores 1, a prose
// answer 0, malformed metadata is an error naming the task.
#include <gtest/gtest.h>

#include "rewards/verifier.h"
#include "sandbox/sandbox.h"
#include "sandbox/swe/instance.h"

namespace rl::rewards {
namespace {

const std::string kDir = std::string(RL_SOURCE_DIR) + "/data/swe";

TEST(SweVerifier, RegisteredAndScoresResponses) {
  if (!sandbox::ProbeSupport().ok()) GTEST_SKIP() << sandbox::ProbeSupport();
  VerifierRegistry reg;
  ASSERT_TRUE(RegisterBuiltinVerifiers(reg).ok());
  auto v = reg.Get("swe");
  ASSERT_TRUE(v.ok()) << v.status();
  auto gold = swe::ReadPatches(kDir + "/gold.jsonl");
  ASSERT_TRUE(gold.ok());
  tasks::Task task;
  task.id = "t1";
  task.kind = "swe";
  task.metadata =
      nlohmann::json{{"instances_file", kDir + "/instances.jsonl"}, {"instance_id", "kv-3"}}.dump();
  std::string response = "<think>sort it</think>The fix:\n```diff\n" + gold->at("kv-3") + "```\n";
  VerifyInput in;
  in.task = &task;
  in.response = response;
  auto r = (*v)->Verify(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->reward, 1.0f) << r->details.dump();
  EXPECT_EQ(r->correct, true);
  EXPECT_EQ(r->details["outcome"], "resolved");
  in.response = "I would sort the keys.";
  r = (*v)->Verify(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reward, 0.0f);
  EXPECT_EQ(r->details["outcome"], "empty_patch");
  // The instance inline, repo relative to base_dir.
  auto insts = swe::ReadInstances(kDir + "/instances.jsonl");
  ASSERT_TRUE(insts.ok());
  task.metadata = nlohmann::json{
      {"instance",
       {{"instance_id", "inline"},
        {"repo", "repos/kv"},
        {"problem_statement", "p"},
        {"test_cmd", "sh tests/run.sh"},
        {"FAIL_TO_PASS", {"list_sorted"}},
        {"test_patch", insts->at(10).test_patch}}},
      {"base_dir",
       kDir}}.dump();
  ASSERT_EQ(insts->at(10).instance_id, "kv-3");
  in.response = response;
  r = (*v)->Verify(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->reward, 1.0f) << r->details.dump();
  task.metadata = R"({"instance_id": "kv-3"})";
  r = (*v)->Verify(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("task t1: swe metadata"), std::string::npos);
}

}  // namespace
}  // namespace rl::rewards
