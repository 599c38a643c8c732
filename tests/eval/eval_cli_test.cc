// `rl eval` end to end on a tiny random checkpoint. The reference is an independent greedy
// decode written here (Prefill/DecodeStep and an argmax over the tokenizer's ids, no
// scheduler, no sampler): tasks whose answer is the number the model greedily writes must
// score 100 %; the same tasks with answers rotated among all but m of them score m/n; the
// reported pass@k equals a naive enumeration over the per-task correct counts, which are
// re-judged here; --run writes metrics rows that read back.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "rewards/math/math_verifier.h"
#include "rl/model/checkpoint.h"
#include "rl/model/forward.h"
#include "rl/store/run_store.h"
#include "rl/tasks/chat_template.h"
#include "rl/tasks/task.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"

namespace rl {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int64_t kBudget = 24;

struct Result {
  int code = -1;
  std::string out, err;
};

Result RunRl(const std::string& args, const std::string& dir) {
  const std::string out = dir + "/stdout.txt", err = dir + "/stderr.txt";
  const std::string cmd = std::string(RL_BINARY_DIR) + "/bin/rl " + args + " >" + out + " 2>" + err;
  Result r;
  int st = std::system(cmd.c_str());
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream fo(out), fe(err);
  std::stringstream so, se;
  so << fo.rdbuf();
  se << fe.rdbuf();
  r.out = so.str();
  r.err = se.str();
  return r;
}

json LastJsonLine(const std::string& out) {
  std::istringstream in(out);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '{') last = line;
  }
  return json::parse(last);
}

std::vector<json> ReadJsonl(const std::string& path) {
  std::ifstream f(path);
  std::vector<json> out;
  std::string line;
  while (std::getline(f, line)) out.push_back(json::parse(line));
  return out;
}

model::ModelConfig TinyConfig(int32_t eos) {
  model::ModelConfig c;
  c.vocab_size = 512;  // > the tokenizer's 303 ids: the padded rows must never be emitted
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
  c.max_position = 256;
  c.eos_token_id = eos;
  return c;
}

struct Greedy {
  std::string text;
  int64_t tokens = 0;  // generated, the stop token included
};

// The independent reference: one sequence at a time, argmax (lowest id on ties) over the
// tokenizer's ids, stop at <|im_end|>/<|endoftext|> or after kBudget tokens.
Greedy GreedyReference(const model::Model& m, const tokenizer::Tokenizer& tok,
                       const std::string& prompt, const std::vector<int32_t>& stops) {
  std::vector<int32_t> ids = tok.Encode(tasks::ApplyChatTemplate(prompt));
  const int64_t V = m.config().vocab_size, limit = tok.vocab_size();
  model::DecodeState state(m.config(), static_cast<int64_t>(ids.size()) + kBudget);
  model::Workspace ws(m.config(), 1);
  std::vector<float> logits(static_cast<size_t>(V));
  EXPECT_TRUE(model::Prefill(m, ids, &state, logits).ok());
  std::vector<int32_t> out;
  model::DecodeState* states[1] = {&state};
  for (int64_t i = 0; i < kBudget; ++i) {
    int32_t best = 0;
    for (int32_t v = 1; v < limit; ++v) {
      if (logits[v] > logits[best]) best = v;
    }
    out.push_back(best);
    if (std::find(stops.begin(), stops.end(), best) != stops.end()) break;
    int32_t next[1] = {best};
    EXPECT_TRUE(model::DecodeStep(m, states, next, &ws, logits).ok());
  }
  Greedy g;
  g.tokens = static_cast<int64_t>(out.size());
  if (std::find(stops.begin(), stops.end(), out.back()) != stops.end()) out.pop_back();
  g.text = tok.Decode(out);
  return g;
}

// The text as --details writes it: invalid UTF-8 bytes replaced by U+FFFD.
std::string AsJsonText(const std::string& text) {
  return json::parse(json(text).dump(-1, ' ', false, json::error_handler_t::replace))
      .get<std::string>();
}

bool Judge(const std::string& answer, const std::string& response) {
  return rewards::math::JudgeMath(answer, response, rewards::math::MathOptions{}).correct;
}

class EvalCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = (fs::temp_directory_path() / ("rl_eval_test_" + std::to_string(getpid()))).string();
    fs::remove_all(root_);
    model_dir_ = root_ + "/run/checkpoints/step_5";
    fs::create_directories(model_dir_);
    auto tok = tokenizer::Tokenizer::FromJson(tokenizer::DefaultTokenizerJson(), "embedded");
    ASSERT_TRUE(tok.ok());
    const int32_t im_end = *(*tok)->TokenId(tokenizer::kImEnd);
    std::vector<int32_t> stops = {im_end, *(*tok)->TokenId(tokenizer::kEndOfText)};
    model::ModelConfig c = TinyConfig(im_end);
    model::ParamMap params = model::InitParams(c, 1);
    for (auto& [name, t] : params) {  // std 0.4: varied, prompt-dependent continuations
      if (t.shape.size() > 1)
        for (auto& x : t.data) x *= 20.0f;
    }
    model::SaveOptions so;
    so.tokenizer_json = tokenizer::DefaultTokenizerJson();
    ASSERT_TRUE(model::SaveCheckpoint(model_dir_, c, params, so).ok());
    auto m = model::Model::Create(c, params, 1);
    ASSERT_TRUE(m.ok());
    // Keep prompts whose greedy response has a final number (last-number fallback) with a
    // value no earlier kept task has, so rotated answers are wrong.
    std::set<std::string> seen;
    for (int i = 0; i < 200 && tasks_.size() < 8; ++i) {
      const std::string prompt = "Compute " + std::to_string(i) + " * 7 + " +
                                 std::to_string(3 * i % 11) + ". Think step by step.";
      Greedy g = GreedyReference(**m, **tok, prompt, stops);
      auto ex = rewards::math::ExtractFinalAnswer(g.text, {});

      if (ex.answers.empty() || ex.method != "last_number") continue;
      const std::string ans = ex.answers.back();
      char* end = nullptr;
      const double value = std::strtod(ans.c_str(), &end);
      if (end == ans.c_str() || !std::isfinite(value)) continue;
      if (!seen.insert(std::to_string(value)).second) continue;
      if (!Judge(ans, g.text)) continue;
      tasks::Task t;
      t.id = "t" + std::to_string(i);
      t.kind = "math";
      t.prompt = prompt;
      t.answer = ans;
      tasks_.push_back(t);
      greedy_.push_back(g);
    }
    ASSERT_GE(tasks_.size(), 4u) << "too few greedy responses with a number";
    ASSERT_TRUE(tasks::WriteTasksJsonl(root_ + "/tasks.jsonl", tasks_).ok());
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::string root_, model_dir_;
  static std::vector<tasks::Task> tasks_;
  static std::vector<Greedy> greedy_;
};
std::string EvalCliTest::root_, EvalCliTest::model_dir_;
std::vector<tasks::Task> EvalCliTest::tasks_;
std::vector<Greedy> EvalCliTest::greedy_;

TEST_F(EvalCliTest, GreedyAnswersScoreFullAccuracyAndMeanLength) {
  Result r = RunRl("eval --model " + model_dir_ + " --tasks " + root_ + "/tasks.jsonl" +
                       " --max-new-tokens " + std::to_string(kBudget) + " --batch 3 --details " +
                       root_ + "/details.jsonl",
                   root_);
  ASSERT_EQ(r.code, 0) << r.err;
  json s = LastJsonLine(r.out);
  const int64_t n = static_cast<int64_t>(tasks_.size());
  EXPECT_EQ(s["num_tasks"].get<int64_t>(), n);
  EXPECT_EQ(s["correct"].get<int64_t>(), n);
  EXPECT_DOUBLE_EQ(s["accuracy"].get<double>(), 1.0);
  double len = 0;
  for (const auto& g : greedy_) len += static_cast<double>(g.tokens);
  EXPECT_NEAR(s["mean_length"].get<double>(), len / static_cast<double>(n), 1e-9);
  EXPECT_EQ(s["step"].get<int64_t>(), 5);  // from .../step_5
  EXPECT_FALSE(s.contains("pass@1"));      // greedy only
  EXPECT_NE(r.out.find("accuracy (greedy)"), std::string::npos) << r.out;
  auto d = ReadJsonl(root_ + "/details.jsonl");
  ASSERT_EQ(d.size(), tasks_.size());
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(d[i]["id"], tasks_[i].id);
    EXPECT_EQ(d[i]["greedy"]["response"].get<std::string>(), AsJsonText(greedy_[i].text))
        << tasks_[i].id;
    EXPECT_EQ(d[i]["greedy"]["tokens"].get<int64_t>(), greedy_[i].tokens);
  }
}

TEST_F(EvalCliTest, RotatedAnswersScoreTheHandComputedFraction) {
  // The first m tasks keep their answers; the other answers move one task along (distinct
  // values, so each moved answer is wrong): accuracy = m / n.
  std::vector<tasks::Task> t = tasks_;
  const size_t m = 2, n = t.size();
  for (size_t i = m; i < n; ++i) t[i].answer = tasks_[i + 1 < n ? i + 1 : m].answer;
  for (size_t i = m; i < n; ++i) ASSERT_FALSE(Judge(t[i].answer, greedy_[i].text));
  ASSERT_TRUE(tasks::WriteTasksJsonl(root_ + "/rotated.jsonl", t).ok());
  Result r = RunRl("eval --model " + model_dir_ + " --tasks " + root_ + "/rotated.jsonl" +
                       " --max-new-tokens " + std::to_string(kBudget),
                   root_);
  ASSERT_EQ(r.code, 0) << r.err;
  json s = LastJsonLine(r.out);
  EXPECT_EQ(s["correct"].get<int64_t>(), static_cast<int64_t>(m));
  EXPECT_DOUBLE_EQ(s["accuracy"].get<double>(), static_cast<double>(m) / static_cast<double>(n));
}

// Fraction of k-subsets of n samples (c correct) holding a correct one, by enumeration.
double Naive(int n, int c, int k) {
  int64_t all = 0, hit = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) != k) continue;
    ++all;
    hit += (mask & ((1u << c) - 1)) != 0;
  }
  return static_cast<double>(hit) / static_cast<double>(all);
}

TEST_F(EvalCliTest, PassAtKMatchesEnumerationOverRejudgedSamples) {
  const int n = 6, k = 3;
  Result r = RunRl("eval --model " + model_dir_ + " --tasks " + root_ + "/tasks.jsonl" +
                       " --max-new-tokens " + std::to_string(kBudget) + " --samples " +
                       std::to_string(n) + " --k " + std::to_string(k) +
                       " --temperature 0.5 --seed 4 --details " + root_ + "/pk.jsonl",
                   root_);
  ASSERT_EQ(r.code, 0) << r.err;
  json s = LastJsonLine(r.out);
  auto d = ReadJsonl(root_ + "/pk.jsonl");
  ASSERT_EQ(d.size(), tasks_.size());
  double p1 = 0, pk = 0;
  std::set<int> distinct_c;
  for (size_t i = 0; i < d.size(); ++i) {
    ASSERT_EQ(d[i]["samples"].size(), static_cast<size_t>(n));
    int c = 0;
    for (const auto& smp : d[i]["samples"])
      c += Judge(tasks_[i].answer, smp["response"].get<std::string>()) ? 1 : 0;
    EXPECT_EQ(d[i]["c"].get<int>(), c) << tasks_[i].id;
    distinct_c.insert(c);
    p1 += Naive(n, c, 1);
    pk += Naive(n, c, k);
  }
  const double T = static_cast<double>(d.size());
  std::printf("per-task correct counts: %zu distinct values; pass@1 %.4f pass@%d %.4f\n",
              distinct_c.size(), p1 / T, k, pk / T);
  EXPECT_NEAR(s["pass@1"].get<double>(), p1 / T, 1e-12);
  EXPECT_NEAR(s["pass@" + std::to_string(k)].get<double>(), pk / T, 1e-12);
  EXPECT_DOUBLE_EQ(s["accuracy"].get<double>(), 1.0);  // the greedy pass is unchanged
  EXPECT_GE(distinct_c.size(), 2u) << "the samples should not all agree";
}

TEST_F(EvalCliTest, RunWritesMetricsRowsThatReadBack) {
  const std::string run = root_ + "/run";
  {
    auto st = store::RunStore::Open(run + "/run.sqlite");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE((*st)->CreateRun("eval-test", "", run).ok());
  }
  Result r = RunRl("eval --model " + model_dir_ + " --tasks " + root_ + "/tasks.jsonl" +
                       " --max-new-tokens " + std::to_string(kBudget) +
                       " --samples 4 --k 2 --temperature 0.5 --run " + run + " --step 7",
                   root_);
  ASSERT_EQ(r.code, 0) << r.err;
  json s = LastJsonLine(r.out);
  auto st = store::RunStore::OpenReadOnly(run + "/run.sqlite");
  ASSERT_TRUE(st.ok());
  const int64_t id = (*st)->ListRuns()->back().id;
  for (const char* name : {"eval/accuracy", "eval/mean_length", "eval/pass@1", "eval/pass@2"}) {
    auto rows = (*st)->Metrics(id, name);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u) << name;
    EXPECT_EQ((*rows)[0].step, 7) << name;
    EXPECT_DOUBLE_EQ((*rows)[0].value, s[std::string(name).substr(5)].get<double>()) << name;
  }
}

TEST_F(EvalCliTest, BadInputIsAClearError) {
  Result r = RunRl("eval --model " + model_dir_ + " --tasks " + root_ + "/none.jsonl", root_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("none.jsonl"), std::string::npos) << r.err;
  r = RunRl("eval --model " + model_dir_ + " --tasks " + root_ + "/tasks.jsonl --k 4", root_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--samples"), std::string::npos) << r.err;
  r = RunRl("eval --model " + model_dir_ + " --tasks " + root_ + "/tasks.jsonl --run " + root_ +
                "/nowhere",
            root_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
  r = RunRl("eval --tasks " + root_ + "/tasks.jsonl", root_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
}

TEST_F(EvalCliTest, BuiltInGenerator) {
  Result r = RunRl("eval --model " + model_dir_ +
                       " --generator arithmetic --size 3 --param max_operand=9 --max-new-tokens 8",
                   root_);
  ASSERT_EQ(r.code, 0) << r.err;
  json s = LastJsonLine(r.out);
  EXPECT_EQ(s["num_tasks"].get<int64_t>(), 3);
  EXPECT_EQ(s["tasks"].get<std::string>(), "generator:arithmetic");
  EXPECT_GE(s["mean_length"].get<double>(), 1.0);
  EXPECT_LE(s["mean_length"].get<double>(), 8.0);
}

}  // namespace
}  // namespace rl
