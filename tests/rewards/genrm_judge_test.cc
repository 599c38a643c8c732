// GenRM through the Verifier interface and the pool: a scripted judge (score mapping,
// pairwise mode, unparsable verdicts as alerts with the raw text) and, end to end, a tiny
// randomly initialised checkpoint served by the in-process rollout engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <mutex>

#include "rewards/genrm/genrm_verifier.h"
#include "rewards/genrm/verdict.h"
#include "rewards/pipeline.h"
#include "rewards/verifier_pool.h"
#include "rl/model/checkpoint.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"

namespace rl::rewards::genrm {
namespace {

tasks::Task GradeTask(std::string id, std::string answer) {
  tasks::Task t;
  t.id = std::move(id);
  t.kind = "essay";
  t.prompt = "Name the capital of France.";
  t.answer = std::move(answer);
  return t;
}

tasks::Task PairwiseTask(std::string id, std::string reference_response) {
  tasks::Task t;
  t.id = std::move(id);
  t.kind = "essay";
  t.prompt = "Write a haiku about rain.";
  t.metadata = nlohmann::json{{"reference_response", reference_response}}.dump();
  return t;
}

// A judge that answers with a fixed text per response (the response is the key) and
// records the prompts it saw.
struct ScriptedJudge {
  std::map<std::string, std::string> verdict_for;  // substring of the prompt → verdict
  std::mutex mu;
  std::vector<std::string> prompts;
  JudgeFn Fn() {
    return [this](const std::string& prompt, Clock::time_point) -> StatusOr<JudgeOutput> {
      std::lock_guard<std::mutex> lock(mu);
      prompts.push_back(prompt);
      for (const auto& [key, verdict] : verdict_for) {
        if (prompt.find(key) != std::string::npos) return JudgeOutput{verdict, 10, 3, "eos"};
      }
      return absl::InternalError("script has no verdict for this prompt");
    };
  }
};

VerifyInput In(const tasks::Task* task, std::string_view response) {
  VerifyInput in;
  in.task = task;
  in.response = response;
  return in;
}

std::unique_ptr<VerifierPool> PoolWith(std::shared_ptr<Verifier> v, float fallback = -7.0f) {
  VerifierRegistry registry;
  EXPECT_TRUE(registry.Register(std::move(v)).ok());
  PoolOptions po;
  po.kind_to_verifier = {{"essay", "genrm"}};
  po.fallback_reward = fallback;
  po.timeout_s = 60;
  po.concurrency = 2;
  auto pool = VerifierPool::Create(registry, po);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return std::move(*pool);
}

TEST(GenRMScripted, GradeModeMapsOneToFiveLinearly) {
  ScriptedJudge judge;
  for (int g = 1; g <= 5; ++g) {
    judge.verdict_for["answer-" + std::to_string(g)] = "Reasoning...\nScore: " + std::to_string(g);
  }
  GenRMOptions o;
  o.grade_template = "Task: {prompt}\nReference: {reference}\nResponse: {response}\nScore: N";
  auto v = MakeGenRMVerifier(o, judge.Fn());
  ASSERT_TRUE(v.ok()) << v.status();
  auto pool = PoolWith(*v);
  const tasks::Task task = GradeTask("t1", "Paris");
  std::vector<VerifyInput> inputs;
  std::vector<std::string> responses;
  for (int g = 1; g <= 5; ++g) responses.push_back("<think>hmm</think>answer-" + std::to_string(g));
  for (const auto& r : responses) inputs.push_back(In(&task, r));
  auto results = pool->VerifyBatch(inputs);
  ASSERT_EQ(results.size(), 5u);
  for (int g = 1; g <= 5; ++g) {
    const VerifyResult& r = results[g - 1];
    EXPECT_FALSE(r.alert) << r.details.dump();
    EXPECT_FLOAT_EQ(r.reward, (g - 1) / 4.0f);
    EXPECT_FALSE(r.correct.has_value());
    EXPECT_EQ(r.details["genrm"]["mode"], "grade");
    EXPECT_EQ(r.details["genrm"]["score"], g);
    EXPECT_EQ(r.details["genrm"]["verdict"], "Reasoning...\nScore: " + std::to_string(g));
  }
  // The judge saw the filled template; the thinking was stripped from the response.
  ASSERT_EQ(judge.prompts.size(), 5u);
  for (const auto& p : judge.prompts) {
    EXPECT_EQ(p.rfind("Task: Name the capital of France.\nReference: Paris\nResponse: answer-", 0),
              0u)
        << p;
    EXPECT_EQ(p.find("<think>"), std::string::npos);
  }
}

TEST(GenRMScripted, PairwiseModeUsesTheReferenceResponse) {
  ScriptedJudge judge;
  judge.verdict_for["good haiku"] = "A is more vivid.\nVerdict: +1";
  judge.verdict_for["same haiku"] = "[[0]]";
  judge.verdict_for["bad haiku"] =
      "Verdict: \xE2\x88\x92"
      "1";
  auto v = MakeGenRMVerifier(GenRMOptions{}, judge.Fn());  // default templates
  ASSERT_TRUE(v.ok()) << v.status();
  auto pool = PoolWith(*v);
  const tasks::Task task = PairwiseTask("t2", "REFERENCE-HAIKU");
  const std::pair<std::string, int> cases[] = {
      {"good haiku", 1}, {"same haiku", 0}, {"bad haiku", -1}};
  for (const auto& [response, expected] : cases) {
    VerifyResult r = pool->Verify(task, response);
    EXPECT_FALSE(r.alert) << r.details.dump();
    EXPECT_FLOAT_EQ(r.reward, static_cast<float>(expected)) << response;
    EXPECT_EQ(r.details["genrm"]["mode"], "pairwise");
    EXPECT_EQ(r.details["genrm"]["score"], expected);
  }
  for (const auto& p : judge.prompts) {
    EXPECT_NE(p.find("[Response B]\nREFERENCE-HAIKU"), std::string::npos) << p;
    EXPECT_NE(p.find("Verdict: V"), std::string::npos);
  }
  // metadata.genrm_mode forces pairwise even when an answer exists.
  tasks::Task forced = PairwiseTask("t3", "REFERENCE-HAIKU");
  forced.answer = "unused";
  forced.metadata = R"({"reference_response":"REFERENCE-HAIKU","genrm_mode":"pairwise"})";
  EXPECT_FLOAT_EQ(pool->Verify(forced, "good haiku").reward, 1.0f);
}

TEST(GenRMScripted, UnparsableVerdictIsAnAlertWithTheRawTextNotAZero) {
  ScriptedJudge judge;
  judge.verdict_for["hedge"] = "It deserves a 4 or 5.";
  judge.verdict_for["empty"] = "";
  auto v = MakeGenRMVerifier(GenRMOptions{}, judge.Fn());
  ASSERT_TRUE(v.ok());
  auto pool = PoolWith(*v, /*fallback=*/-7.0f);
  const tasks::Task task = GradeTask("t4", "Paris");
  VerifyResult r = pool->Verify(task, "hedge");
  EXPECT_TRUE(r.alert);
  EXPECT_FLOAT_EQ(r.reward, -7.0f);  // the configured fallback, flagged — not a parsed 0
  const std::string err = r.details["error"];
  EXPECT_NE(err.find("unparsable verdict"), std::string::npos) << err;
  EXPECT_NE(err.find(R"(raw verdict: "It deserves a 4 or 5.")"), std::string::npos) << err;
  VerifyResult e = pool->Verify(task, "empty");
  EXPECT_TRUE(e.alert);
  EXPECT_NE(e.details["error"].get<std::string>().find("raw verdict: \"\""), std::string::npos);
  // No reference at all → an error naming the metadata field.
  tasks::Task none = GradeTask("t5", "");
  VerifyResult n = pool->Verify(none, "hedge");
  EXPECT_TRUE(n.alert);
  EXPECT_NE(n.details["error"].get<std::string>().find("metadata.reference_response"),
            std::string::npos);
}

TEST(GenRMScripted, BadTemplatesAreRejectedAtConstruction) {
  ScriptedJudge judge;
  GenRMOptions o;
  o.grade_template = "{prompt} {answer}";
  auto v = MakeGenRMVerifier(o, judge.Fn());
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("rewards.genrm.grade_template"), std::string::npos);
  o.grade_template = "";
  o.pairwise_template = "{prompt} {response}";  // no {reference}
  v = MakeGenRMVerifier(o, judge.Fn());
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("missing placeholder {reference}"), std::string::npos);
}

// ---------------------------------------------------------------- end to end

std::string TinyJudgeCheckpoint() {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("genrm_judge_" + std::to_string(::getpid())))
          .string();
  model::ModelConfig c;
  c.vocab_size = 512;
  c.hidden_size = 32;
  c.num_layers = 2;
  c.layer_types = {model::LayerType::kLightning, model::LayerType::kSoftmax};
  c.num_heads = 2;
  c.head_dim = 16;
  c.num_kv_heads = 1;
  c.rotary_dim = 8;
  c.intermediate_size = 32;
  c.num_experts = 2;
  c.experts_per_token = 1;
  c.max_position = 4096;
  model::SaveOptions opt;
  opt.tokenizer_json = tokenizer::DefaultTokenizerJson();
  auto tok = tokenizer::Tokenizer::FromJson(opt.tokenizer_json);
  EXPECT_TRUE(tok.ok());
  c.eos_token_id = *(*tok)->TokenId(tokenizer::kImEnd);
  EXPECT_TRUE(model::SaveCheckpoint(dir, c, model::InitParams(c, 11), opt).ok());
  return dir;
}

TEST(GenRMEngine, RandomJudgeRunsAndUnparsableVerdictsKeepTheirRawText) {
  const std::string dir = TinyJudgeCheckpoint();
  GenRMOptions o;
  o.checkpoint = dir;
  o.max_verdict_tokens = 12;
  o.max_batch = 4;
  auto engine = MakeEngineJudge(o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  // Record what the engine judge really produced, to compare with what the results carry.
  std::mutex mu;
  std::map<std::string, JudgeOutput> seen;  // prompt → output
  JudgeFn recording = [&](const std::string& prompt, Clock::time_point d) -> StatusOr<JudgeOutput> {
    auto out = (*engine)(prompt, d);
    if (out.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      seen[prompt] = *out;
    }
    return out;
  };
  auto v = MakeGenRMVerifier(o, recording);
  ASSERT_TRUE(v.ok()) << v.status();
  auto pool = PoolWith(*v, /*fallback=*/0.0f);
  const tasks::Task grade = GradeTask("e1", "Paris");
  const tasks::Task pair = PairwiseTask("e2", "Rain taps the window");
  std::vector<VerifyInput> inputs = {In(&grade, "Paris is the capital."),
                                     In(&grade, "Lyon, obviously"), In(&pair, "grey clouds / rain"),
                                     In(&pair, "sun")};
  auto results = pool->VerifyBatch(inputs);
  ASSERT_EQ(results.size(), 4u);
  ASSERT_EQ(seen.size(), 4u);  // every call reached the engine and finished
  int alerts = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const VerifyResult& r = results[i];
    // Find this call's judge output by its response text inside the prompt.
    const JudgeOutput* out = nullptr;
    for (const auto& [prompt, o2] : seen) {
      if (prompt.find("\n" + std::string(inputs[i].response) + "\n") != std::string::npos)
        out = &o2;
    }
    ASSERT_NE(out, nullptr);
    EXPECT_LE(out->verdict_tokens, o.max_verdict_tokens);
    EXPECT_GT(out->prompt_tokens, 100);
    const bool grade_mode = i < 2;
    // Random bytes may be invalid UTF-8; the stored text has them replaced by U+FFFD.
    const std::string safe =
        nlohmann::json(out->text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string text = nlohmann::json::parse(safe).get<std::string>();
    auto parsed = grade_mode ? ParseGradeVerdict(text) : ParsePairwiseVerdict(text);
    if (parsed.ok()) {
      EXPECT_FALSE(r.alert);
      EXPECT_EQ(r.details["genrm"]["verdict"], text);
      EXPECT_EQ(r.details["genrm"]["score"], *parsed);
    } else {
      ++alerts;
      EXPECT_TRUE(r.alert) << "an unparsable verdict must not become a silent reward";
      EXPECT_FALSE(r.details.contains("genrm"));
      const std::string err = r.details["error"];
      EXPECT_NE(err.find("raw verdict: " + safe), std::string::npos) << err;
    }
  }
  std::cout << "[genrm e2e] " << alerts << " of 4 random-judge verdicts unparsable (alerts)\n";
  EXPECT_GE(alerts, 1) << "a random judge produced four parsable verdicts";
  // Greedy decoding: the same call gives the same verdict text.
  const std::string again_prompt = seen.begin()->first;
  auto again = (*engine)(again_prompt, Clock::time_point::max());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->text, seen.begin()->second.text);

  // The config path registers the verifier under "genrm".
  config::RewardsSection rs;
  rs.genrm.checkpoint = dir;
  rs.genrm.max_verdict_tokens = 4;
  auto built = BuildRewards(rs);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(built->registry->Get("genrm").ok());
  rs.genrm.checkpoint = dir + "/missing";
  auto bad = BuildRewards(rs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("rewards.genrm.checkpoint"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rl::rewards::genrm
