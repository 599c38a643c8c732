// The `swe` task kind in the RL loop. End to end: `rl train configs/swe_mix_e2e.yaml` (the
// driver and two `rl rollout-worker` processes on loopback) mixes arithmetic and swe prompts;
// the swe samples are scored by the sandboxed swe verifier and trained on. Wiring: the reward
// pipeline built from the same YAML scores the shipped gold patches (in a fenced diff block,
// as a model would write them) 1 and empty answers 0 on the tasks the driver would draw.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rewards/pipeline.h"
#include "rewards/swe_verifier.h"
#include "rl/config/config.h"
#include "rl/store/run_store.h"
#include "sandbox/sandbox.h"
#include "sandbox/swe/instance.h"
#include "tests/driver/train_process.h"

namespace {
namespace fs = std::filesystem;
const std::string kSrc = RL_SOURCE_DIR;
const std::string kConfig = kSrc + "/configs/swe_mix_e2e.yaml";

using rl::e2e::Log;
std::string TempDir(const std::string& name) { return rl::e2e::FreshDir("rl_swe_mix_", name); }
// `rl train configs/swe_mix_e2e.yaml --set run.dir=DIR` from the source root.
int RunTrain(const std::string& dir) {
  return rl::e2e::Wait(rl::e2e::StartTrain(kConfig, dir, {}, kSrc));
}

std::map<std::string, rl::swe::Instance> Instances() {
  std::map<std::string, rl::swe::Instance> out;
  auto insts = rl::swe::ReadInstances(kSrc + "/data/swe/instances.jsonl");
  EXPECT_TRUE(insts.ok()) << insts.status();
  if (insts.ok())
    for (auto& i : *insts) out[i.instance_id] = i;
  return out;
}

TEST(SweMixE2E, MixedRunScoresSweSamplesWithTheSweVerifier) {
  if (!rl::sandbox::ProbeSupport().ok()) GTEST_SKIP() << rl::sandbox::ProbeSupport();
  const auto instances = Instances();
  ASSERT_EQ(instances.size(), 12u);
  std::string dir = TempDir("run");
  ASSERT_EQ(RunTrain(dir), 0) << Log(dir);
  auto store = rl::store::RunStore::OpenReadOnly(dir + "/run.sqlite");
  ASSERT_TRUE(store.ok()) << store.status();
  auto& s = **store;
  auto runs = s.ListRuns();
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  EXPECT_EQ(runs->back().status, "completed");
  const int64_t run = runs->back().id;
  auto samples = s.Samples(run, std::nullopt, 1000);
  ASSERT_TRUE(samples.ok());
  // 2 steps × (1 arithmetic + 1 swe prompt, stratified 1:1 mix) × 2 samples.
  ASSERT_EQ(samples->size(), 8u);
  const std::set<std::string> kOutcomes = {
      "resolved", "empty_patch",   "patch_failed", "patch_rejected", "timeout",
      "crash",    "invalid_suite", "rejected",     "unresolved"};  // not internal_error
  std::map<int64_t, int64_t> swe_per_step, math_per_step, trained;
  int64_t swe_trained = 0;
  for (const auto& r : *samples) {
    auto d = nlohmann::json::parse(r.verifier_details);
    if (d.at("trained").get<bool>()) ++trained[r.step];
    auto it = instances.find(r.prompt_id);
    if (it == instances.end()) {  // arithmetic
      ++math_per_step[r.step];
      EXPECT_FALSE(d.contains("patch_method")) << d.dump();
      continue;
    }
    ++swe_per_step[r.step];
    swe_trained += d.at("trained").get<bool>() ? 1 : 0;
    const auto& inst = it->second;
    // The prompt: the YAML template with the issue text and the repository's files.
    EXPECT_NE(r.prompt.find("Fix the issue in the repository (instance " + inst.instance_id),
              std::string::npos);
    EXPECT_NE(r.prompt.find(inst.problem_statement), std::string::npos);
    EXPECT_NE(r.prompt.find("=== "), std::string::npos) << r.prompt;
    // Scored by the swe verifier: the runner's JSON for this instance, a real outcome.
    EXPECT_EQ(d.at("instance_id"), inst.instance_id) << d.dump();
    EXPECT_TRUE(kOutcomes.count(d.at("outcome").get<std::string>())) << d.dump();
    EXPECT_TRUE(d.contains("patch_method") && d.contains("tests")) << d.dump();
    EXPECT_EQ(d.at("tests").size(), inst.fail_to_pass.size() + inst.pass_to_pass.size());
    EXPECT_EQ(r.reward, d.at("outcome") == "resolved" ? 1.0 : 0.0);
    ASSERT_TRUE(r.correct.has_value());
    EXPECT_EQ(*r.correct, d.at("outcome") == "resolved");
  }
  for (int64_t k = 1; k <= 2; ++k) {
    EXPECT_EQ(swe_per_step[k], 2) << "step " << k;
    EXPECT_EQ(math_per_step[k], 2) << "step " << k;
  }
  // The learner consumed what was kept, swe samples included.
  auto seqs = s.Metrics(run, "train/sequences");
  ASSERT_TRUE(seqs.ok());
  ASSERT_EQ(seqs->size(), 2u);
  for (const auto& m : *seqs) EXPECT_EQ(m.value, static_cast<double>(trained[m.step]));
  EXPECT_GT(swe_trained, 0) << "no swe sample was trained on";
  // No verifier fell back (no error, timeout or unknown kind).
  auto alerts = s.Alerts(run);
  ASSERT_TRUE(alerts.ok());
  for (const auto& a : *alerts) EXPECT_NE(a.kind, "verifier") << a.message << " " << a.evidence;
  fs::remove_all(dir);
  fs::remove(dir + ".log");
}

TEST(SweMixPipeline, GoldPatchScoresOneEmptyAnswerZero) {
  if (!rl::sandbox::ProbeSupport().ok()) GTEST_SKIP() << rl::sandbox::ProbeSupport();
  auto cfg = rl::config::LoadConfigFile(kConfig);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const rl::config::TaskSourceSection* src = nullptr;
  for (const auto& s : cfg->tasks.sources)
    if (s.kind == "swe") src = &s;
  ASSERT_NE(src, nullptr);
  rl::config::TaskSourceSection abs = *src;
  abs.path = kSrc + "/" + src->path;  // the YAML's path is relative to the source root
  auto tasks = rl::rewards::LoadSweTasks(abs);
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->size(), 12u);
  auto gold = rl::swe::ReadPatches(kSrc + "/data/swe/gold.jsonl");
  ASSERT_TRUE(gold.ok()) << gold.status();
  auto rewards = rl::rewards::BuildRewards(cfg->rewards, cfg->sandbox);
  ASSERT_TRUE(rewards.ok()) << rewards.status();
  std::vector<std::string> texts;
  for (const auto& t : *tasks) {
    EXPECT_EQ(t.kind, "swe");
    ASSERT_TRUE(gold->count(t.id)) << t.id;
    texts.push_back("<think>The bug is in the loop.</think>Here is my fix:\n\n```diff\n" +
                    gold->at(t.id) + "```\n");
    texts.push_back("");
  }
  std::vector<rl::rewards::VerifyInput> in(texts.size());
  for (size_t k = 0; k < texts.size(); ++k) {
    in[k].task = &(*tasks)[k / 2];
    in[k].response = texts[k];
    in[k].response_tokens = static_cast<int64_t>(texts[k].size());
    in[k].budget_tokens = 4096;
  }
  auto out = rewards->pool->VerifyBatch(in);
  ASSERT_EQ(out.size(), texts.size());
  for (size_t k = 0; k < out.size(); ++k) {
    const std::string& id = (*tasks)[k / 2].id;
    EXPECT_FALSE(out[k].alert) << id << " " << out[k].details.dump();
    if (k % 2 == 0) {
      EXPECT_EQ(out[k].reward, 1.0f) << id << " " << out[k].details.dump();
      EXPECT_EQ(out[k].correct, true) << id;
      EXPECT_EQ(out[k].details.value("outcome", ""), "resolved") << out[k].details.dump();
    } else {
      EXPECT_EQ(out[k].reward, 0.0f) << id;
      EXPECT_EQ(out[k].correct, false) << id;
      EXPECT_EQ(out[k].details.value("outcome", ""), "empty_patch") << out[k].details.dump();
    }
  }
}

}  // namespace
