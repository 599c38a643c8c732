#include "rl/model/params.h"

#include <random>

namespace rl::model {

Status ModelConfig::Validate() const {
  auto bad = [](const std::string& m) { return absl::InvalidArgumentError("model config: " + m); };
  if (vocab_size < 2 || hidden_size < 1 || num_layers < 1 || num_heads < 1 || head_dim < 1) {
    return bad("sizes must be positive");
  }
  if (static_cast<int64_t>(layer_types.size()) != num_layers) {
    return bad("layer_types has " + std::to_string(layer_types.size()) +
               " entries, num_layers is " + std::to_string(num_layers));
  }
  if (num_kv_heads < 1 || num_heads % num_kv_heads != 0)
    return bad("num_kv_heads must divide num_heads");
  if (rotary_dim < 0 || rotary_dim > head_dim || rotary_dim % 2 != 0) {
    return bad("rotary_dim must be even and <= head_dim");
  }
  if (num_experts < 1 || experts_per_token < 1 || experts_per_token > num_experts) {
    return bad("need 1 <= experts_per_token <= num_experts");
  }
  return absl::OkStatus();
}

std::map<std::string, std::vector<int64_t>> ExpectedParamShapes(const ModelConfig& c) {
  const int64_t C = c.hidden_size, H = c.num_heads, D = c.head_dim, KVH = c.num_kv_heads;
  const int64_t I = c.intermediate_size, E = c.num_experts, V = c.vocab_size;
  std::map<std::string, std::vector<int64_t>> s;
  s["model.embed_tokens.weight"] = {V, C};
  for (int64_t i = 0; i < c.num_layers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    s[p + "input_layernorm.weight"] = {C};
    s[p + "post_attention_layernorm.weight"] = {C};
    if (c.layer_types[i] == LayerType::kLightning) {
      s[p + "self_attn.qkv_proj.weight"] = {3 * H * D, C};
      s[p + "self_attn.output_gate.weight"] = {H * D, C};
      s[p + "self_attn.out_proj.weight"] = {C, H * D};
      s[p + "self_attn.norm.weight"] = {H * D};
    } else {
      s[p + "self_attn.q_proj.weight"] = {H * D, C};
      s[p + "self_attn.k_proj.weight"] = {KVH * D, C};
      s[p + "self_attn.v_proj.weight"] = {KVH * D, C};
      s[p + "self_attn.o_proj.weight"] = {C, H * D};
    }
    s[p + "block_sparse_moe.gate.weight"] = {E, C};
    for (int64_t e = 0; e < E; ++e) {
      std::string q = p + "block_sparse_moe.experts." + std::to_string(e) + ".";
      s[q + "w1.weight"] = {I, C};
      s[q + "w3.weight"] = {I, C};
      s[q + "w2.weight"] = {C, I};
    }
  }
  s["model.norm.weight"] = {C};
  if (!c.tie_word_embeddings) s["lm_head.weight"] = {V, C};
  return s;
}

ParamMap InitParams(const ModelConfig& config, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  ParamMap out;
  for (const auto& [name, shape] : ExpectedParamShapes(config)) {
    Tensor t;
    t.shape = shape;
    t.data.resize(static_cast<size_t>(t.numel()));
    bool is_norm = shape.size() == 1;
    for (auto& x : t.data) x = is_norm ? 1.0f : normal(rng);
    out.emplace(name, std::move(t));
  }
  return out;
}

Status CheckParams(const ModelConfig& config, const ParamMap& params) {
  auto expected = ExpectedParamShapes(config);
  for (const auto& [name, shape] : expected) {
    auto it = params.find(name);
    if (it == params.end()) return absl::NotFoundError("missing tensor " + name);
    if (it->second.shape != shape) {
      std::string want, got;
      for (auto d : shape) want += std::to_string(d) + ",";
      for (auto d : it->second.shape) got += std::to_string(d) + ",";
      return absl::InvalidArgumentError("tensor " + name + " has shape [" + got + "], expected [" +
                                        want + "]");
    }
    if (static_cast<int64_t>(it->second.data.size()) != it->second.numel()) {
      return absl::DataLossError("tensor " + name + " holds " +
                                 std::to_string(it->second.data.size()) + " values for its shape");
    }
  }
  for (const auto& [name, t] : params) {
    if (!expected.count(name)) return absl::InvalidArgumentError("unexpected tensor " + name);
  }
  return absl::OkStatus();
}

}  // namespace rl::model
