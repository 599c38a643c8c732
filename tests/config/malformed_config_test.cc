// Each malformed config must produce its specific message at the right line and column.
#include <gtest/gtest.h>

#include "rl/config/config.h"

namespace rl::config {
namespace {

struct Malformed {
  const char* name;
  const char* yaml;
  const char* expected;  // the whole first error line
};

const Malformed kCases[] = {
    {"unknown_top_level", "run: {name: a}\nalgoritm: {name: cispo}\n",
     "bad.yaml:2:1: algoritm: unknown key 'algoritm' (did you mean 'algorithm'?)"},
    {"unknown_nested", "algorithm:\n  name: cispo\n  eps_hihg: 0.3\n",
     "bad.yaml:3:3: algorithm.eps_hihg: unknown key 'eps_hihg' (did you mean 'eps_high'?)"},
    {"unknown_without_hint", "optimizer:\n  zzz_q: 1\n",
     "bad.yaml:2:3: optimizer.zzz_q: unknown key 'zzz_q'"},
    {"string_for_float", "optimizer:\n  lr: fast\n",
     "bad.yaml:2:7: optimizer.lr: expected float, got 'fast'"},
    {"float_for_int", "run:\n  seed: 1.5\n", "bad.yaml:2:9: run.seed: expected int, got '1.5'"},
    {"bad_bool", "algorithm:\n  normalize_std: maybe\n",
     "bad.yaml:2:18: algorithm.normalize_std: expected bool, got 'maybe'"},
    {"list_for_scalar", "run:\n  name: [a, b]\n", "bad.yaml:2:9: run.name: expected string, got a list"},
    {"scalar_for_section", "rollout: 4\n",
     "bad.yaml:1:10: rollout: expected a section (a map of keys), got '4'"},
    {"negative_lr", "optimizer:\n  lr: -0.1\n", "bad.yaml:2:7: optimizer.lr: must be > 0, got -0.1"},
    {"zero_lr", "optimizer:\n  lr: 0\n", "bad.yaml:2:7: optimizer.lr: must be > 0, got 0"},
    {"top_p_above_one", "rollout:\n  sampling:\n    top_p: 1.5\n",
     "bad.yaml:3:12: rollout.sampling.top_p: must be <= 1, got 1.5"},
    {"negative_group", "rollout:\n  group_size: 0\n",
     "bad.yaml:2:15: rollout.group_size: must be >= 1, got 0"},
    {"bad_enum", "algorithm:\n  name: ppo\n",
     "bad.yaml:2:9: algorithm.name: 'ppo' is not one of cispo, grpo"},
    {"enum_typo", "algorithm:\n  name: cipso\n",
     "bad.yaml:2:9: algorithm.name: 'cipso' is not one of cispo, grpo (did you mean 'cispo'?)"},
    {"bad_loss_agg", "algorithm:\n  loss_agg: token-sum\n",
     "bad.yaml:2:13: algorithm.loss_agg: 'token-sum' is not one of token-mean, "
     "seq-mean-token-mean, seq-mean-token-sum, mix"},
    {"list_element_type", "curriculum:\n  length:\n    stages: [40960, big]\n",
     "bad.yaml:3:21: curriculum.length.stages[1]: expected int, got 'big'"},
    {"list_element_range", "curriculum:\n  length:\n    stages: [40960, -5]\n",
     "bad.yaml:3:21: curriculum.length.stages[1]: must be >= 1, got -5"},
    {"stages_not_increasing", "curriculum:\n  length:\n    stages: [48, 40]\n",
     "bad.yaml:3:13: curriculum.length.stages: budgets must increase"},
    {"scalar_for_list", "rollout:\n  addresses: localhost:1\n",
     "bad.yaml:2:14: rollout.addresses: expected a list of string"},
    {"source_without_path_or_generator", "tasks:\n  sources:\n    - name: a\n      kind: math\n",
     "bad.yaml:3:7: tasks.sources[0].path: set exactly one of path or generator"},
    {"unknown_key_in_list_item",
     "tasks:\n  sources:\n    - name: a\n      generator: g\n      wieght: 2\n",
     "bad.yaml:5:7: tasks.sources[0].wieght: unknown key 'wieght' (did you mean 'weight'?)"},
    {"list_item_not_map", "tasks:\n  sources:\n    - just-a-string\n",
     "bad.yaml:3:7: tasks.sources[0]: expected a map of keys, got 'just-a-string'"},
    {"map_value_type", "rewards:\n  verifiers: [math]\n",
     "bad.yaml:2:14: rewards.verifiers: expected a map of string to string"},
    {"layer_count_mismatch",
     "model:\n  arch:\n    num_layers: 3\n    layer_types: [linear_attention, full_attention]\n",
     "bad.yaml:4:18: model.arch.layer_types: has 2 entries but num_layers is 3"},
    {"layer_type_enum", "model:\n  arch:\n    num_layers: 1\n    layer_types: [lightning]\n",
     "bad.yaml:4:19: model.arch.layer_types[0]: 'lightning' is not one of linear_attention, "
     "full_attention"},
    {"no_workers", "rollout:\n  workers: 0\n",
     "bad.yaml:2:12: rollout.workers: is 0 and no addresses are listed"},
    {"top_level_list", "- a\n- b\n", "bad.yaml:1:1: the top level must be a map of sections"},
    {"syntax_error", "run:\n  name: [unclosed\n", "bad.yaml:3:1: YAML syntax error: "},
    {"plugin_type", "rewards:\n  plugins:\n    - {name: mine, type: dll, path: x.so}\n",
     "bad.yaml:3:26: rewards.plugins[0].type: 'dll' is not one of shared_library, process, grpc"},
    {"map_value_range", "curriculum:\n  task_mix:\n    - {from_step: 0, weights: {a: -1}}\n",
     "bad.yaml:3:35: curriculum.task_mix[0].weights.a: must be >= 0, got -1"},
};

class MalformedConfig : public testing::TestWithParam<Malformed> {};

TEST_P(MalformedConfig, ReportsFileLineColumnFieldAndMessage) {
  const Malformed& c = GetParam();
  auto cfg = LoadConfigFromString(c.yaml, "bad.yaml");
  ASSERT_FALSE(cfg.ok()) << c.name << " was accepted";
  EXPECT_EQ(cfg.status().code(), absl::StatusCode::kInvalidArgument);
  std::string first(cfg.status().message().substr(0, cfg.status().message().find('\n')));
  EXPECT_TRUE(first.rfind(c.expected, 0) == 0) << "case " << c.name << "\n  got:      " << first
                                               << "\n  expected: " << c.expected;
}

INSTANTIATE_TEST_SUITE_P(All, MalformedConfig, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Malformed>& info) {
                           return std::string(info.param.name);
                         });

TEST(MalformedConfig, AllErrorsAreReportedInLineOrder) {
  auto cfg = LoadConfigFromString("optimizer:\n  lr: x\n  beta9: 1\nrun:\n  seed: -1\n", "m.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(),
            "m.yaml:2:7: optimizer.lr: expected float, got 'x'\n"
            "m.yaml:3:3: optimizer.beta9: unknown key 'beta9' (did you mean 'beta1'?)\n"
            "m.yaml:5:9: run.seed: must be >= 0, got -1");
}

}  // namespace
}  // namespace rl::config
