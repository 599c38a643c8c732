// SFT data loading/packing and the loss falling on a small JSONL; `rl sft` end to end.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "learner/sft_data.h"
#include "learner/trainer.h"
#include "rl/model/checkpoint.h"

namespace rl::learner {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(RL_BINARY_DIR) + "/tmp_sft_" + name;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

const char kJsonl[] =
    "{\"prompt\": \"2+2=\", \"response\": \"4\"}\n"
    "\n"
    "{\"prompt\": \"capital of France? \", \"response\": \"Paris\"}\n"
    "{\"prompt\": \"abc\", \"response\": \"defgh\"}\n";

TEST(SftDataTest, LoadsTokenizesAndPacks) {
  const std::string path = TempPath("data.jsonl");
  WriteFile(path, kJsonl);
  ByteTokenizerOptions o;
  o.vocab_size = 300;
  o.eos_token_id = 257;
  auto ex = LoadSftJsonl(path, o);
  ASSERT_TRUE(ex.ok()) << ex.status();
  ASSERT_EQ(ex->size(), 3u);
  EXPECT_EQ((*ex)[0].prompt, (std::vector<int32_t>{'2', '+', '2', '='}));
  EXPECT_EQ((*ex)[0].response, (std::vector<int32_t>{'4', 257}));
  int64_t cursor = 0;
  // 6 + 25 tokens fit in 32; the third (9 tokens) does not.
  PackedSequences b = PackSft(*ex, 32, &cursor);
  EXPECT_EQ(b.offsets, (std::vector<int64_t>{0, 6, 31}));
  EXPECT_EQ(b.prompt_lens, (std::vector<int64_t>{4, 19}));
  EXPECT_EQ(cursor, 2);
  b = PackSft(*ex, 32, &cursor);  // wraps around: example 2 then 0
  EXPECT_EQ(b.offsets, (std::vector<int64_t>{0, 9, 15}));
  EXPECT_EQ(cursor, 4);
  std::filesystem::remove(path);
}

TEST(SftDataTest, ErrorsNameFileAndLine) {
  const std::string path = TempPath("bad.jsonl");
  WriteFile(path, "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"a\"}\n");
  auto ex = LoadSftJsonl(path, ByteTokenizerOptions{});
  ASSERT_FALSE(ex.ok());
  EXPECT_NE(ex.status().message().find("bad.jsonl:2: field 'response'"), std::string::npos)
      << ex.status();
  WriteFile(path, "not json\n");
  ex = LoadSftJsonl(path, ByteTokenizerOptions{});
  ASSERT_FALSE(ex.ok());
  EXPECT_NE(ex.status().message().find("bad.jsonl:1: not a JSON object"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(SftDataTest, LossFallsOnSmallJsonl) {
  const std::string path = TempPath("fall.jsonl");
  WriteFile(path, kJsonl);
  model::ModelConfig c;
  c.vocab_size = 256;
  c.hidden_size = 16;
  c.num_layers = 2;
  c.layer_types = {model::LayerType::kLightning, model::LayerType::kSoftmax};
  c.num_heads = 2;
  c.head_dim = 8;
  c.num_kv_heads = 1;
  c.rotary_dim = 4;
  c.intermediate_size = 16;
  auto ex = *LoadSftJsonl(path, ByteTokenizerOptions{256, -1, -1, 64});
  LearnerOptions opts;
  opts.adamw.lr = 1e-2;
  auto l = *Learner::Create(c, model::InitParams(c, 1), opts);
  double first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    int64_t cursor = l->data_cursor();
    auto m = l->SftStep(PackSft(ex, 64, &cursor));
    ASSERT_TRUE(m.ok());
    l->set_data_cursor(cursor);
    if (step == 0) first = m->at("train/loss");
    last = m->at("train/loss");
  }
  EXPECT_NEAR(first, std::log(256.0), 0.1);
  EXPECT_LT(last, 0.3 * first);
  std::filesystem::remove(path);
}

TEST(SftCliTest, RlSftWritesACheckpointAndLossFalls) {
  const std::string dir = TempPath("cli");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  WriteFile(dir + "/data.jsonl", kJsonl);
  WriteFile(
      dir + "/sft.yaml",
      "run: {name: sft_test, dir: " + dir +
          "/run}\n"
          "model:\n  arch: {vocab_size: 512, hidden_size: 16, num_layers: 2,\n"
          "         layer_types: [linear_attention, full_attention], num_heads: 2, head_dim: 8,\n"
          "         num_kv_heads: 1, rotary_dim: 4, intermediate_size: 16}\n"
          "sft: {data: " +
          dir + "/data.jsonl, output: " + dir +
          "/out, steps: 30, batch_tokens: 64,\n"
          "      lr: 0.01, log_every: 1}\n");
  const std::string cmd = std::string(RL_BINARY_DIR) + "/bin/rl sft " + dir +
                          "/sft.yaml --threads 1 2> " + dir + "/log.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream log(dir + "/log.txt");
  std::string line;
  std::vector<double> losses;
  while (std::getline(log, line)) {
    long long s = 0, n = 0;
    double loss = 0, tps = 0;
    char eta[32];
    ASSERT_EQ(std::sscanf(line.c_str(), "step %lld/%lld loss %lf tokens/s %lf ETA %31s", &s, &n,
                          &loss, &tps, eta),
              5)
        << line;
    losses.push_back(loss);
  }
  ASSERT_EQ(losses.size(), 30u);
  EXPECT_LT(losses.back(), 0.5 * losses.front());
  auto ck = model::LoadCheckpoint(dir + "/out");
  ASSERT_TRUE(ck.ok()) << ck.status();
  EXPECT_EQ(ck->config.vocab_size, 512);
  EXPECT_FALSE(ck->tokenizer_json.empty());  // the default tokenizer travels with the weights
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/learner_state.bin"));
  std::filesystem::remove_all(dir);
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// N steps in one process vs N/2, then a NEW process resuming to N: identical files.
TEST(SftCliTest, ResumeInAFreshProcessIsBitwiseExact) {
  const std::string dir = TempPath("resume");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  WriteFile(dir + "/data.jsonl", kJsonl);
  WriteFile(
      dir + "/sft.yaml",
      "run: {name: sft_resume, dir: " + dir +
          "/run, seed: 3}\n"
          "model:\n  arch: {vocab_size: 512, hidden_size: 16, num_layers: 2,\n"
          "         layer_types: [linear_attention, full_attention], num_heads: 2, head_dim: 8,\n"
          "         num_kv_heads: 1, rotary_dim: 4, intermediate_size: 16}\n"
          "sft: {data: " +
          dir + "/data.jsonl, steps: 8, batch_tokens: 40, lr: 0.01}\n");
  const std::string rl =
      std::string(RL_BINARY_DIR) + "/bin/rl sft " + dir + "/sft.yaml --threads 1 ";
  const std::string quiet = " > /dev/null 2>&1";
  ASSERT_EQ(std::system((rl + "--set sft.output=" + dir + "/a" + quiet).c_str()), 0);
  ASSERT_EQ(std::system((rl + "--set sft.output=" + dir + "/b --set sft.steps=4" + quiet).c_str()),
            0);
  ASSERT_EQ(std::system((rl + "--set sft.output=" + dir + "/b --resume" + quiet).c_str()), 0);
  const std::string a = ReadAll(dir + "/a/model.safetensors");
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == ReadAll(dir + "/b/model.safetensors"));
  EXPECT_TRUE(ReadAll(dir + "/a/learner_state.bin") == ReadAll(dir + "/b/learner_state.bin"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rl::learner
