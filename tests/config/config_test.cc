#include "rl/config/config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace rl::config {
namespace {

TEST(Config, EmptyFileIsAllDefaults) {
  auto c = LoadConfigFromString("", "empty.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->algorithm.name, "cispo");
  EXPECT_DOUBLE_EQ(c->optimizer.beta2, 0.95);
  EXPECT_DOUBLE_EQ(c->optimizer.eps, 1e-15);
  EXPECT_EQ(c->rollout.repetition.consecutive, 3000);
  EXPECT_EQ(RunDir(*c), "runs/run");
}

TEST(Config, ReadsNestedValuesAndLists) {
  auto c = LoadConfigFromString(R"(
run: {name: demo, seed: 7, dir: /tmp/demo}
algorithm:
  name: grpo
  eps_high: 0.3
  kl_beta: 0.01
tasks:
  sources:
    - {name: arith, kind: math, generator: arithmetic, params: {difficulty: 2}, weight: 3}
    - {name: files, kind: logic, path: data/logic.jsonl}
curriculum:
  length:
    stages: [40960, 49152, 57344]
rewards:
  verifiers: {math: math, logic: logic}
)",
                                "demo.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->run.seed, 7);
  EXPECT_EQ(RunDir(*c), "/tmp/demo");
  EXPECT_EQ(c->algorithm.name, "grpo");
  EXPECT_DOUBLE_EQ(c->algorithm.eps_high, 0.3);
  ASSERT_EQ(c->tasks.sources.size(), 2u);
  EXPECT_DOUBLE_EQ(c->tasks.sources[0].params.at("difficulty"), 2.0);
  EXPECT_DOUBLE_EQ(c->tasks.sources[0].weight, 3.0);
  EXPECT_EQ(c->tasks.sources[1].path, "data/logic.jsonl");
  EXPECT_EQ(c->curriculum.length.stages, (std::vector<int64_t>{40960, 49152, 57344}));
  EXPECT_EQ(c->rewards.verifiers.at("logic"), "logic");
}

TEST(Config, DumpLoadsBackToTheSameConfig) {
  auto c = LoadConfigFromString(R"(
run: {name: "with: colon", steps: 5}
algorithm: {eps_high: 0.123456789, kl_beta: 1e-3}
tasks:
  sources: [{name: a, generator: arithmetic}]
curriculum: {length: {stages: [10, 20]}, task_mix: [{from_step: 3, weights: {a: 1.5}}]}
)",
                                "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  std::string dumped = DumpConfig(*c);
  auto back = LoadConfigFromString(dumped, "dumped.yaml");
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << dumped;
  EXPECT_EQ(DumpConfig(*back), dumped);
  EXPECT_EQ(back->run.name, "with: colon");
  EXPECT_DOUBLE_EQ(back->algorithm.eps_high, 0.123456789);
  EXPECT_DOUBLE_EQ(back->algorithm.kl_beta, 1e-3);
  ASSERT_EQ(back->curriculum.task_mix.size(), 1u);
  EXPECT_DOUBLE_EQ(back->curriculum.task_mix[0].weights.at("a"), 1.5);
}

TEST(Overrides, ParseAndApply) {
  auto o = ParseOverride("algorithm.eps_high=0.28");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->path, "algorithm.eps_high");
  EXPECT_EQ(o->value, "0.28");
  std::vector<Override> os = {*o, *ParseOverride("run.name=x=y"),
                              *ParseOverride("curriculum.length.stages=[1, 2, 3]"),
                              *ParseOverride("tasks.sources.0.weight=5")};
  auto c = LoadConfigFromString("tasks: {sources: [{name: a, generator: g}]}\nrun: {name: file}\n",
                                "o.yaml", os);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->algorithm.eps_high, 0.28);
  EXPECT_EQ(c->run.name, "x=y");  // only the first '=' separates
  EXPECT_EQ(c->curriculum.length.stages, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_DOUBLE_EQ(c->tasks.sources[0].weight, 5.0);
}

TEST(Overrides, MalformedOverrides) {
  EXPECT_FALSE(ParseOverride("no_equals").ok());
  EXPECT_FALSE(ParseOverride("=3").ok());
  EXPECT_FALSE(ParseOverride("a..b=3").ok());
  auto bad_key = LoadConfigFromString("", "f.yaml", {*ParseOverride("algorithm.eps_hihg=1")});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().message(),
            "--set algorithm.eps_hihg=1: algorithm.eps_hihg: unknown key 'eps_hihg' (did you "
            "mean 'eps_high'?)");
  auto bad_val = LoadConfigFromString("", "f.yaml", {*ParseOverride("optimizer.lr=fast")});
  ASSERT_FALSE(bad_val.ok());
  EXPECT_EQ(bad_val.status().message(),
            "--set optimizer.lr=fast: optimizer.lr: expected float, got 'fast'");
  auto past = LoadConfigFromString("tasks: {sources: [{name: a, generator: g}]}", "f.yaml",
                                   {*ParseOverride("tasks.sources.3.weight=1")});
  EXPECT_FALSE(past.ok());
}

TEST(Config, ReferenceListsEveryKey) {
  std::string ref = ConfigReference();
  for (const char* key :
       {"`run.seed`", "`algorithm.eps_high`", "`optimizer.beta2`", "`tasks.sources[].kind`",
        "`rollout.sampling.top_p`", "`curriculum.length.stages`", "`sandbox.memory_mb`"}) {
    EXPECT_NE(ref.find(key), std::string::npos) << key;
  }
}

TEST(Config, ShippedConfigsAreValid) {
  for (const char* name : {"quickstart.yaml", "m1-40k-80k.yaml"}) {
    std::string path = std::string(RL_SOURCE_DIR) + "/configs/" + name;
    auto c = LoadConfigFile(path);
    EXPECT_TRUE(c.ok()) << path << ": " << c.status();
  }
}

TEST(Config, MissingFileIsNotFound) {
  auto c = LoadConfigFile("/nonexistent/run.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("/nonexistent/run.yaml"), std::string::npos);
}

}  // namespace
}  // namespace rl::config

namespace rl::config {
namespace {

// docs/config.md carries the generated reference; it must not drift from the schema.
TEST(Config, DocsReferenceIsCurrent) {
  std::ifstream in(std::string(RL_SOURCE_DIR) + "/docs/config.md");
  ASSERT_TRUE(in.good());
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string begin = "<!-- BEGIN GENERATED: rl config doc -->\n";
  auto b = doc.find(begin);
  auto e = doc.find("<!-- END GENERATED -->");
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), ConfigReference())
      << "regenerate with: build/bin/rl config doc";
}

}  // namespace
}  // namespace rl::config
