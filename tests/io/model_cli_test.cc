// Runs the real `rl` binary: model init/info, generate and score, checked against the
// library (checkpoint loader, forward) driven directly.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "rl/model/checkpoint.h"
#include "rl/model/forward.h"
#include "rl/model/hf_config.h"
#include "rl/tokenizer/tokenizer.h"
#include "tests/io/test_util.h"

namespace rl::model {
namespace {

namespace fs = std::filesystem;
using io::testing::TempDir;

struct Result {
  int code;
  std::string out;
};

// stderr_too = false drops stderr (generate prints its speed there).
Result RunRl(const std::string& args, bool stderr_too = true) {
  std::string cmd = std::string(RL_BINARY_DIR) + "/bin/rl " + args + (stderr_too ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(ModelCli, InitWritesSeededDefaultModelAndInfoDescribesIt) {
  const std::string root = TempDir();
  std::string dir = root + "/m";
  Result r = RunRl("model init --out " + dir + " --seed 5");
  ASSERT_EQ(r.code, 0) << r.out;
  auto ck = LoadCheckpoint(dir);
  ASSERT_TRUE(ck.ok()) << ck.status();
  // The weights are InitParams(default arch, seed 5), bit for bit.
  auto cfg = ModelConfigFromArch(config::ArchSection{});
  ASSERT_TRUE(cfg.ok());
  ParamMap want = InitParams(*cfg, 5);
  ASSERT_EQ(want.size(), ck->params.size());
  for (const auto& [name, t] : want) {
    const auto& got = ck->params.at(name).data;
    ASSERT_EQ(got.size(), t.data.size()) << name;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(t.data[i]));
  }
  ASSERT_FALSE(ck->tokenizer_json.empty());
  auto tok = tokenizer::Tokenizer::FromJson(ck->tokenizer_json);
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(ck->config.eos_token_id, *(*tok)->TokenId("<|im_end|>"));
  Result info = RunRl("model info " + dir);
  ASSERT_EQ(info.code, 0) << info.out;
  EXPECT_NE(info.out.find("layers       4: L L L S"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("parameters   " + std::to_string(CountParams(want))), std::string::npos) << info.out;
  char mem[64];
  std::snprintf(mem, sizeof mem, "fp32 %.2f MiB", 4.0 * static_cast<double>(CountParams(want)) / (1 << 20));
  EXPECT_NE(info.out.find(mem), std::string::npos) << info.out;
  // An arch-only YAML with an error reports file:line:column and the key.
  std::ofstream(root + "/a.yaml") << "hidden_size: 64\nnum_layres: 2\n";
  Result bad = RunRl("model init --arch " + root + "/a.yaml --out " + root + "/x");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("a.yaml:2:1: num_layres: unknown key"), std::string::npos) << bad.out;
}

// Greedy generation by the library: prefill, then argmax / decode step.
std::vector<int32_t> LibraryGreedy(const std::string& dir, const std::vector<int32_t>& prompt, int n) {
  auto ck = LoadCheckpoint(dir);
  EXPECT_TRUE(ck.ok());
  auto tok = tokenizer::Tokenizer::FromJson(ck->tokenizer_json);
  const int64_t limit = (*tok)->vocab_size();
  auto m = Model::Create(ck->config, ck->params, 1);
  EXPECT_TRUE(m.ok());
  const int64_t V = (*m)->config().vocab_size;
  DecodeState st((*m)->config(), static_cast<int64_t>(prompt.size()) + n);
  std::vector<float> logits(V);
  EXPECT_TRUE(Prefill(**m, prompt, &st, logits).ok());
  Workspace ws((*m)->config(), 1);
  std::vector<int32_t> out;
  DecodeState* states[1] = {&st};
  for (int i = 0; i < n; ++i) {
    int32_t best = 0;
    for (int32_t v = 1; v < limit; ++v) {
      if (logits[v] > logits[best]) best = v;
    }
    out.push_back(best);
    int32_t next[1] = {best};
    EXPECT_TRUE(DecodeStep(**m, states, next, &ws, logits).ok());
  }
  return out;
}

TEST(ModelCli, GenerateGreedyMatchesLibraryAndSamplingIsSeeded) {
  std::string dir = TempDir() + "/m";
  ASSERT_EQ(RunRl("model init --out " + dir + " --seed 9").code, 0);
  const std::string flags = " --model " + dir + " --prompt 'the cat' --max-tokens 12 --ignore-eos --threads 1";
  Result greedy = RunRl("generate" + flags + " --temperature 0", false);
  ASSERT_EQ(greedy.code, 0) << greedy.out;
  auto ck = LoadCheckpoint(dir);
  auto tok = tokenizer::Tokenizer::FromJson(ck->tokenizer_json);
  auto want = LibraryGreedy(dir, (*tok)->Encode("the cat"), 12);
  EXPECT_EQ(greedy.out, (*tok)->Decode(want) + "\n");
  Result a = RunRl("generate" + flags + " --seed 4", false);
  Result b = RunRl("generate" + flags + " --seed 4", false);
  ASSERT_EQ(a.code, 0);
  EXPECT_EQ(a.out, b.out);
  Result speed = RunRl("generate" + flags + " --seed 4");
  EXPECT_NE(speed.out.find("tok/s"), std::string::npos);
}

TEST(ModelCli, ScoreMatchesPrefillLogits) {
  const std::string root = TempDir();
  std::string dir = root + "/m";
  ASSERT_EQ(RunRl("model init --out " + dir + " --seed 2").code, 0);
  std::string in = root + "/in.jsonl";
  std::ofstream(in) << "{\"tokens\":[5,80,300,1,44]}\n{\"text\":\"hi there\"}\n\n{\"tokens\":[9]}\n";
  Result r = RunRl("score --model " + dir + " --jsonl " + in + " --threads 1 --temperature 0.8", false);
  ASSERT_EQ(r.code, 0) << r.out;
  auto ck = LoadCheckpoint(dir);
  auto m = Model::Create(ck->config, ck->params, 1);
  ASSERT_TRUE(m.ok());
  const int64_t V = (*m)->config().vocab_size;
  std::istringstream lines(r.out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    auto tokens = j["tokens"].get<std::vector<int32_t>>();
    auto lps = j["logprobs"].get<std::vector<double>>();
    ASSERT_EQ(lps.size() + 1, tokens.size());
    for (size_t t = 0; t + 1 < tokens.size(); ++t) {
      // Reference: logits after the prefix tokens[..t], log softmax(z/0.8) in double.
      DecodeState st((*m)->config(), static_cast<int64_t>(tokens.size()));
      std::vector<float> z(V);
      ASSERT_TRUE(Prefill(**m, std::span(tokens).first(t + 1), &st, z).ok());
      double mx = -INFINITY, sum = 0;
      for (float v : z) mx = std::max(mx, v / 0.8);
      for (float v : z) sum += std::exp(v / 0.8 - mx);
      double want = z[tokens[t + 1]] / 0.8 - mx - std::log(sum);
      EXPECT_NEAR(lps[t], want, 2e-4) << count << " " << t;
    }
    ++count;
  }
  EXPECT_EQ(count, 3);
  std::ofstream(in) << "{\"tokens\":[1,2]}\n{\"tokens\":[1,\"x\"]}\n";
  Result bad = RunRl("score --model " + dir + " --jsonl " + in);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("in.jsonl:2: token \"x\""), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace rl::model
