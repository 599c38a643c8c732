#include "rl/model/hf_config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace rl::model {
namespace {

using json = nlohmann::json;

// The published MiniMax-M1 config.json (original dialect), layer list generated.
json PublishedOriginal() {
  json types = json::array();
  for (int i = 0; i < 80; ++i) types.push_back((i + 1) % 8 == 0 ? 1 : 0);
  const double a = 3.5565588200778455;
  return json{{"architectures", {"MiniMaxM1ForCausalLM"}}, {"attn_type_list", types},
              {"bos_token_id", nullptr}, {"eos_token_id", nullptr}, {"head_dim", 128},
              {"hidden_act", "silu"}, {"hidden_size", 6144}, {"intermediate_size", 9216},
              {"layernorm_full_attention_alpha", a}, {"layernorm_full_attention_beta", 1.0},
              {"layernorm_linear_attention_alpha", a}, {"layernorm_linear_attention_beta", 1.0},
              {"layernorm_mlp_alpha", a}, {"layernorm_mlp_beta", 1.0},
              {"max_position_embeddings", 10240000}, {"model_type", "minimax_m1"},
              {"num_attention_heads", 64}, {"num_experts_per_tok", 2}, {"num_hidden_layers", 80},
              {"num_key_value_heads", 8}, {"num_local_experts", 32}, {"postnorm", true},
              {"rms_norm_eps", 1e-05}, {"rope_theta", 10000000}, {"rotary_dim", 64},
              {"router_aux_loss_coef", 0.001}, {"shared_intermediate_size", 0},
              {"sliding_window", nullptr}, {"tie_word_embeddings", false}, {"vocab_size", 200064}};
}

json SmallTransformers() {
  return json{{"model_type", "minimax"}, {"vocab_size", 300}, {"hidden_size", 64},
              {"intermediate_size", 96}, {"num_hidden_layers", 3}, {"num_attention_heads", 4},
              {"num_key_value_heads", 2}, {"head_dim", 16}, {"num_local_experts", 4},
              {"num_experts_per_tok", 2},
              {"layer_types", {"linear_attention", "full_attention", "linear_attention"}},
              {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", 5e5}, {"partial_rotary_factor", 0.5}}},
              {"full_attn_alpha_factor", 2.0}, {"full_attn_beta_factor", 0.5},
              {"linear_attn_alpha_factor", 3.0}, {"linear_attn_beta_factor", 0.25},
              {"mlp_alpha_factor", 4.0}, {"mlp_beta_factor", 0.125}, {"eos_token_id", {7, 8}},
              {"bos_token_id", 1}, {"rms_norm_eps", 1e-6}};
}

void ExpectSameConfig(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.num_layers, b.num_layers);
  EXPECT_EQ(a.layer_types, b.layer_types);
  EXPECT_EQ(a.num_heads, b.num_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.num_kv_heads, b.num_kv_heads);
  EXPECT_EQ(a.rotary_dim, b.rotary_dim);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.num_experts, b.num_experts);
  EXPECT_EQ(a.experts_per_token, b.experts_per_token);
  EXPECT_EQ(a.rms_norm_eps, b.rms_norm_eps);
  EXPECT_EQ(a.postnorm, b.postnorm);
  EXPECT_EQ(a.lightning_alpha, b.lightning_alpha);
  EXPECT_EQ(a.lightning_beta, b.lightning_beta);
  EXPECT_EQ(a.softmax_alpha, b.softmax_alpha);
  EXPECT_EQ(a.softmax_beta, b.softmax_beta);
  EXPECT_EQ(a.mlp_alpha, b.mlp_alpha);
  EXPECT_EQ(a.mlp_beta, b.mlp_beta);
  EXPECT_EQ(a.max_position, b.max_position);
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
  EXPECT_EQ(a.bos_token_id, b.bos_token_id);
  EXPECT_EQ(a.eos_token_id, b.eos_token_id);
  EXPECT_EQ(a.router_aux_loss_coef, b.router_aux_loss_coef);
  EXPECT_EQ(a.dialect, b.dialect);
}

TEST(HfConfig, ParsesPublishedOriginalConfig) {
  auto c = ParseHfConfig(PublishedOriginal().dump());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->dialect, "original");
  EXPECT_EQ(c->num_layers, 80);
  int softmax = 0;
  for (int i = 0; i < 80; ++i) {
    bool want_softmax = (i + 1) % 8 == 0;
    EXPECT_EQ(c->layer_types[i] == LayerType::kSoftmax, want_softmax) << i;
    softmax += want_softmax;
  }
  EXPECT_EQ(softmax, 10);
  EXPECT_EQ(c->head_dim, 128);
  EXPECT_EQ(c->rotary_dim, 64);
  EXPECT_EQ(c->num_kv_heads, 8);
  EXPECT_EQ(c->num_experts, 32);
  EXPECT_EQ(c->vocab_size, 200064);
  EXPECT_TRUE(c->postnorm);
  EXPECT_EQ(c->rope_theta, 1e7);
  EXPECT_NEAR(c->lightning_alpha, std::pow(2.0 * 80, 0.25), 1e-12);  // α = (2L)^(1/4)
  EXPECT_EQ(c->mlp_beta, 1.0);
  EXPECT_EQ(c->bos_token_id, -1);
}

TEST(HfConfig, ParsesTransformersDialect) {
  auto c = ParseHfConfig(SmallTransformers().dump());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->dialect, "transformers");
  EXPECT_EQ(c->layer_types, (std::vector<LayerType>{LayerType::kLightning, LayerType::kSoftmax,
                                                    LayerType::kLightning}));
  EXPECT_EQ(c->rotary_dim, 8);  // 0.5 × 16
  EXPECT_EQ(c->rope_theta, 5e5);
  EXPECT_EQ(c->softmax_alpha, 2.0);
  EXPECT_EQ(c->softmax_beta, 0.5);
  EXPECT_EQ(c->lightning_alpha, 3.0);
  EXPECT_EQ(c->lightning_beta, 0.25);
  EXPECT_EQ(c->mlp_alpha, 4.0);
  EXPECT_EQ(c->mlp_beta, 0.125);
  EXPECT_TRUE(c->postnorm);
  EXPECT_EQ(c->eos_token_id, 7);
  // Legacy top-level keys and the default layer pattern ((i+1) % 2 → full attention).
  json j = SmallTransformers();
  j.erase("rope_parameters");
  j.erase("layer_types");
  j["rope_theta"] = 1234.0;
  j["partial_rotary_factor"] = 0.25;
  auto d = ParseHfConfig(j.dump());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->rotary_dim, 4);
  EXPECT_EQ(d->rope_theta, 1234.0);
  EXPECT_EQ(d->layer_types, (std::vector<LayerType>{LayerType::kSoftmax, LayerType::kLightning,
                                                    LayerType::kSoftmax}));
}

TEST(HfConfig, WritesBackInTheSameDialect) {
  for (const json& src : {PublishedOriginal(), SmallTransformers()}) {
    auto c = ParseHfConfig(src.dump());
    ASSERT_TRUE(c.ok()) << c.status();
    auto text = HfConfigToJson(*c);
    ASSERT_TRUE(text.ok()) << text.status();
    json written = json::parse(*text);
    if (c->dialect == "original") {
      EXPECT_TRUE(written.contains("attn_type_list"));
      EXPECT_FALSE(written.contains("layer_types"));
      EXPECT_EQ(written["layernorm_mlp_alpha"], src["layernorm_mlp_alpha"]);
    } else {
      EXPECT_TRUE(written.contains("layer_types"));
      EXPECT_FALSE(written.contains("attn_type_list"));
      EXPECT_EQ(written["layer_types"], src["layer_types"]);
      EXPECT_EQ(written["mlp_beta_factor"], src["mlp_beta_factor"]);
    }
    auto back = ParseHfConfig(*text);
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectSameConfig(*c, *back);
  }
}

TEST(HfConfig, TransformersCannotExpressPreNorm) {
  auto c = ParseHfConfig(SmallTransformers().dump());
  ASSERT_TRUE(c.ok());
  c->postnorm = false;
  auto t = HfConfigToJson(*c);
  EXPECT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("postnorm"), std::string::npos);
}

TEST(HfConfig, ErrorsNameTheKey) {
  struct Case {
    std::function<void(json&)> edit;
    const char* needle;
  };
  std::vector<Case> cases = {
      {[](json& j) { j.erase("hidden_size"); }, "'hidden_size'"},
      {[](json& j) { j["hidden_size"] = "big"; }, "'hidden_size' must be an integer"},
      {[](json& j) { j["rope_theta"] = "x"; }, "'rope_theta' must be a number"},
      {[](json& j) { j["postnorm"] = 1; }, "'postnorm' must be true or false"},
      {[](json& j) { j["attn_type_list"].erase(0); }, "'attn_type_list' has 79 entries"},
      {[](json& j) { j["attn_type_list"][3] = 2; }, "'attn_type_list' [3]"},
      {[](json& j) { j["layer_types"] = json::array(); }, "both present"},
      {[](json& j) { j.erase("attn_type_list"); }, "attn_type_list"},
      {[](json& j) { j["hidden_act"] = "gelu"; }, "'hidden_act'"},
      {[](json& j) { j["shared_intermediate_size"] = 8; }, "'shared_intermediate_size'"},
      {[](json& j) { j["sliding_window"] = 4096; }, "'sliding_window'"},
      {[](json& j) { j["num_key_value_heads"] = 7; }, "num_kv_heads must divide"},
      {[](json& j) { j["eos_token_id"] = "x"; }, "'eos_token_id'"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    json j = PublishedOriginal();
    cases[i].edit(j);
    auto c = ParseHfConfig(j.dump(), "dir/config.json");
    ASSERT_FALSE(c.ok()) << i;
    std::string msg(c.status().message());
    EXPECT_NE(msg.find("dir/config.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find(cases[i].needle), std::string::npos) << i << ": " << msg;
  }
  std::vector<std::pair<std::function<void(json&)>, const char*>> tcases = {
      {[](json& j) { j["layer_types"][1] = "mamba"; }, "'layer_types' [1]"},
      {[](json& j) { j["rope_parameters"]["partial_rotary_factor"] = 0.3; }, "partial_rotary_factor"},
      {[](json& j) { j["rope_parameters"]["rope_type"] = "yarn"; }, "rope_type"},
      {[](json& j) { j["rope_parameters"] = 3; }, "'rope_parameters' must be an object"},
  };
  for (auto& [edit, needle] : tcases) {
    json j = SmallTransformers();
    edit(j);
    auto c = ParseHfConfig(j.dump());
    ASSERT_FALSE(c.ok()) << needle;
    EXPECT_NE(c.status().message().find(needle), std::string::npos) << c.status();
  }
  EXPECT_FALSE(ParseHfConfig("{nope").ok());
  EXPECT_FALSE(ParseHfConfig("[1]").ok());
}

TEST(HfConfig, FromArchSection) {
  config::ArchSection a;
  auto c = ModelConfigFromArch(a);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->layer_types, (std::vector<LayerType>{LayerType::kLightning, LayerType::kLightning,
                                                    LayerType::kLightning, LayerType::kSoftmax}));
  EXPECT_EQ(c->vocab_size, 512);
  EXPECT_EQ(c->rotary_dim, a.rotary_dim);
  a.layer_types[2] = "conv";
  auto bad = ModelConfigFromArch(a);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("layer_types[2]"), std::string::npos);
}

}  // namespace
}  // namespace rl::model
