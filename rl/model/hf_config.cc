#include "rl/model/hf_config.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

namespace rl::model {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// Typed access to config.json keys with errors that name the file and the key.
class Keys {
 public:
  Keys(const json& j, std::string_view file) : j_(j), file_(file) {}

  Status Error(const std::string& key, const std::string& message) const {
    return absl::InvalidArgumentError(file_ + ": key '" + key + "' " + message);
  }
  bool Has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }
  const json& At(const char* key) const { return j_[key]; }

  StatusOr<int64_t> Int(const char* key, std::optional<int64_t> def) const {
    if (!Has(key)) {
      if (def) return *def;
      return absl::InvalidArgumentError(file_ + ": missing required key '" + key + "'");
    }
    const json& v = j_[key];
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()) {
      return static_cast<int64_t>(v.get<double>());
    }
    return Error(key, "must be an integer, got " + v.dump());
  }
  StatusOr<double> Double(const char* key, std::optional<double> def) const {
    if (!Has(key)) {
      if (def) return *def;
      return absl::InvalidArgumentError(file_ + ": missing required key '" + key + "'");
    }
    const json& v = j_[key];
    if (!v.is_number()) return Error(key, "must be a number, got " + v.dump());
    return v.get<double>();
  }
  StatusOr<bool> Bool(const char* key, bool def) const {
    if (!Has(key)) return def;
    if (!j_[key].is_boolean()) return Error(key, "must be true or false, got " + j_[key].dump());
    return j_[key].get<bool>();
  }
  // A token id: an integer, null (→ -1) or a list of integers (the first one).
  StatusOr<int64_t> TokenId(const char* key) const {
    if (!Has(key)) return int64_t{-1};
    const json& v = j_[key];
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_array() && !v.empty() && v[0].is_number_integer()) return v[0].get<int64_t>();
    if (v.is_array() && v.empty()) return int64_t{-1};
    return Error(key, "must be an integer or a list of integers, got " + v.dump());
  }

 private:
  const json& j_;
  std::string file_;
};

#define RL_GET(lhs, expr) RL_ASSIGN_OR_RETURN(lhs, expr)

Status ParseCommon(const Keys& k, ModelConfig& c) {
  RL_GET(c.vocab_size, k.Int("vocab_size", std::nullopt));
  RL_GET(c.hidden_size, k.Int("hidden_size", std::nullopt));
  RL_GET(c.num_layers, k.Int("num_hidden_layers", std::nullopt));
  RL_GET(c.num_heads, k.Int("num_attention_heads", std::nullopt));
  RL_GET(c.intermediate_size, k.Int("intermediate_size", std::nullopt));
  if (c.num_heads <= 0) return k.Error("num_attention_heads", "must be positive");
  RL_GET(c.head_dim, k.Int("head_dim", c.hidden_size / c.num_heads));
  RL_GET(c.num_kv_heads, k.Int("num_key_value_heads", c.num_heads));
  RL_GET(c.num_experts, k.Int("num_local_experts", int64_t{8}));
  RL_GET(c.experts_per_token, k.Int("num_experts_per_tok", int64_t{2}));
  RL_GET(c.rms_norm_eps, k.Double("rms_norm_eps", 1e-5));
  RL_GET(c.max_position, k.Int("max_position_embeddings", int64_t{4096 * 32}));
  RL_GET(c.tie_word_embeddings, k.Bool("tie_word_embeddings", false));
  RL_GET(c.router_aux_loss_coef, k.Double("router_aux_loss_coef", 0.001));
  RL_GET(c.bos_token_id, k.TokenId("bos_token_id"));
  RL_GET(c.eos_token_id, k.TokenId("eos_token_id"));
  if (k.Has("hidden_act") && !(k.At("hidden_act").is_string() && k.At("hidden_act") == "silu")) {
    return k.Error("hidden_act", "must be \"silu\", got " + k.At("hidden_act").dump());
  }
  if (k.Has("sliding_window")) return k.Error("sliding_window", "is not supported (must be null)");
  int64_t shared;
  RL_GET(shared, k.Int("shared_intermediate_size", int64_t{0}));
  if (shared != 0) return k.Error("shared_intermediate_size", "> 0 (a shared expert) is not supported");
  c.lightning_norm_eps = 1e-6;
  return absl::OkStatus();
}

Status ParseOriginal(const Keys& k, ModelConfig& c) {
  c.dialect = "original";
  const json& list = k.At("attn_type_list");
  if (!list.is_array()) return k.Error("attn_type_list", "must be a list of 0/1");
  if (static_cast<int64_t>(list.size()) != c.num_layers) {
    return k.Error("attn_type_list", "has " + std::to_string(list.size()) +
                                         " entries but num_hidden_layers is " + std::to_string(c.num_layers));
  }
  c.layer_types.clear();
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_number_integer() || (list[i] != 0 && list[i] != 1)) {
      return k.Error("attn_type_list", "[" + std::to_string(i) + "] must be 0 (lightning) or 1 (softmax), got " +
                                           list[i].dump());
    }
    c.layer_types.push_back(list[i] == 0 ? LayerType::kLightning : LayerType::kSoftmax);
  }
  RL_GET(c.rotary_dim, k.Int("rotary_dim", c.head_dim));
  RL_GET(c.rope_theta, k.Double("rope_theta", 1e6));
  RL_GET(c.postnorm, k.Bool("postnorm", false));
  RL_GET(c.lightning_alpha, k.Double("layernorm_linear_attention_alpha", 1.0));
  RL_GET(c.lightning_beta, k.Double("layernorm_linear_attention_beta", 1.0));
  RL_GET(c.softmax_alpha, k.Double("layernorm_full_attention_alpha", 1.0));
  RL_GET(c.softmax_beta, k.Double("layernorm_full_attention_beta", 1.0));
  RL_GET(c.mlp_alpha, k.Double("layernorm_mlp_alpha", 1.0));
  RL_GET(c.mlp_beta, k.Double("layernorm_mlp_beta", 1.0));
  return absl::OkStatus();
}

Status ParseTransformers(const Keys& k, ModelConfig& c) {
  c.dialect = "transformers";
  c.layer_types.clear();
  if (k.Has("layer_types")) {
    const json& list = k.At("layer_types");
    if (!list.is_array()) return k.Error("layer_types", "must be a list of strings");
    if (static_cast<int64_t>(list.size()) != c.num_layers) {
      return k.Error("layer_types", "has " + std::to_string(list.size()) +
                                        " entries but num_hidden_layers is " + std::to_string(c.num_layers));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i] == "linear_attention") {
        c.layer_types.push_back(LayerType::kLightning);
      } else if (list[i] == "full_attention") {
        c.layer_types.push_back(LayerType::kSoftmax);
      } else {
        return k.Error("layer_types", "[" + std::to_string(i) +
                                          "] must be \"linear_attention\" or \"full_attention\", got " +
                                          list[i].dump());
      }
    }
  } else {
    // The transformers MiniMaxConfig default pattern.
    for (int64_t i = 0; i < c.num_layers; ++i) {
      c.layer_types.push_back((i + 1) % 2 ? LayerType::kSoftmax : LayerType::kLightning);
    }
  }
  double theta, factor;
  RL_GET(theta, k.Double("rope_theta", 1e6));
  RL_GET(factor, k.Double("partial_rotary_factor", 1.0));
  if (k.Has("rope_parameters")) {
    const json& rp = k.At("rope_parameters");
    if (!rp.is_object()) return k.Error("rope_parameters", "must be an object");
    Keys rk(rp, "config.json: rope_parameters");
    if (rp.contains("rope_type") && rp["rope_type"] != "default") {
      return k.Error("rope_parameters", "rope_type " + rp["rope_type"].dump() + " is not supported (only default)");
    }
    RL_GET(theta, rk.Double("rope_theta", theta));
    RL_GET(factor, rk.Double("partial_rotary_factor", factor));
  }
  c.rope_theta = theta;
  double rd = factor * static_cast<double>(c.head_dim);
  if (factor <= 0 || factor > 1 || std::fabs(rd - std::round(rd)) > 1e-9) {
    return k.Error("partial_rotary_factor", "× head_dim must be a whole number of dims, got " + std::to_string(rd));
  }
  c.rotary_dim = static_cast<int64_t>(std::llround(rd));
  RL_GET(c.lightning_alpha, k.Double("linear_attn_alpha_factor", 1.0));
  RL_GET(c.lightning_beta, k.Double("linear_attn_beta_factor", 1.0));
  RL_GET(c.softmax_alpha, k.Double("full_attn_alpha_factor", 1.0));
  RL_GET(c.softmax_beta, k.Double("full_attn_beta_factor", 1.0));
  RL_GET(c.mlp_alpha, k.Double("mlp_alpha_factor", 1.0));
  RL_GET(c.mlp_beta, k.Double("mlp_beta_factor", 1.0));
  c.postnorm = true;  // the transformers decoder layer always adds to the normed input
  return absl::OkStatus();
}

#undef RL_GET

json TokenIdJson(int64_t id) { return id < 0 ? json(nullptr) : json(id); }

}  // namespace

StatusOr<ModelConfig> ParseHfConfig(std::string_view text, std::string_view file) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(std::string(file) + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) return absl::InvalidArgumentError(std::string(file) + ": must be a JSON object");
  Keys k(j, file);
  ModelConfig c;
  RL_RETURN_IF_ERROR(ParseCommon(k, c));
  const bool has_original = k.Has("attn_type_list");
  const bool is_transformers = k.Has("layer_types") ||
                               (k.Has("model_type") && k.At("model_type") == "minimax");
  if (has_original && k.Has("layer_types")) {
    return k.Error("layer_types", "and attn_type_list are both present; keep one dialect");
  }
  if (has_original) {
    RL_RETURN_IF_ERROR(ParseOriginal(k, c));
  } else if (is_transformers) {
    RL_RETURN_IF_ERROR(ParseTransformers(k, c));
  } else {
    return absl::InvalidArgumentError(std::string(file) +
                                      ": missing the layer pattern: neither 'attn_type_list' (original) "
                                      "nor 'layer_types' (transformers) is present");
  }
  Status st = c.Validate();
  if (!st.ok()) return absl::InvalidArgumentError(std::string(file) + ": " + std::string(st.message()));
  return c;
}

StatusOr<ModelConfig> LoadHfConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseHfConfig(ss.str(), path);
}

StatusOr<std::string> HfConfigToJson(const ModelConfig& c) {
  RL_RETURN_IF_ERROR(c.Validate());
  ojson j;
  const bool original = c.dialect == "original";
  if (!original && c.dialect != "transformers") {
    return absl::InvalidArgumentError("model config: unknown dialect '" + c.dialect + "'");
  }
  if (original) {
    j["architectures"] = {"MiniMaxText01ForCausalLM"};
    j["model_type"] = "minimax_text_01";
    json types = json::array();
    for (auto t : c.layer_types) types.push_back(t == LayerType::kLightning ? 0 : 1);
    j["attn_type_list"] = types;
  } else {
    if (!c.postnorm) {
      return absl::InvalidArgumentError(
          "model config: the transformers dialect cannot express postnorm = false; save as original");
    }
    j["architectures"] = {"MiniMaxForCausalLM"};
    j["model_type"] = "minimax";
    json types = json::array();
    for (auto t : c.layer_types) types.push_back(t == LayerType::kLightning ? "linear_attention" : "full_attention");
    j["layer_types"] = types;
  }
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["num_key_value_heads"] = c.num_kv_heads;
  j["head_dim"] = c.head_dim;
  j["hidden_act"] = "silu";
  j["max_position_embeddings"] = c.max_position;
  j["num_local_experts"] = c.num_experts;
  j["num_experts_per_tok"] = c.experts_per_token;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["router_aux_loss_coef"] = c.router_aux_loss_coef;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["bos_token_id"] = TokenIdJson(c.bos_token_id);
  j["eos_token_id"] = TokenIdJson(c.eos_token_id);
  if (original) {
    j["rotary_dim"] = c.rotary_dim;
    j["rope_theta"] = c.rope_theta;
    j["postnorm"] = c.postnorm;
    j["layernorm_full_attention_alpha"] = c.softmax_alpha;
    j["layernorm_full_attention_beta"] = c.softmax_beta;
    j["layernorm_linear_attention_alpha"] = c.lightning_alpha;
    j["layernorm_linear_attention_beta"] = c.lightning_beta;
    j["layernorm_mlp_alpha"] = c.mlp_alpha;
    j["layernorm_mlp_beta"] = c.mlp_beta;
  } else {
    const double factor = static_cast<double>(c.rotary_dim) / static_cast<double>(c.head_dim);
    j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", c.rope_theta},
                            {"partial_rotary_factor", factor}};
    j["full_attn_alpha_factor"] = c.softmax_alpha;
    j["full_attn_beta_factor"] = c.softmax_beta;
    j["linear_attn_alpha_factor"] = c.lightning_alpha;
    j["linear_attn_beta_factor"] = c.lightning_beta;
    j["mlp_alpha_factor"] = c.mlp_alpha;
    j["mlp_beta_factor"] = c.mlp_beta;
  }
  return j.dump(2) + "\n";
}

Status SaveHfConfig(const std::string& path, const ModelConfig& config) {
  RL_ASSIGN_OR_RETURN(std::string text, HfConfigToJson(config));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return absl::UnavailableError(path + ": write failed");
  return absl::OkStatus();
}

StatusOr<ModelConfig> ModelConfigFromArch(const config::ArchSection& a) {
  ModelConfig c;
  c.vocab_size = a.vocab_size;
  c.hidden_size = a.hidden_size;
  c.num_layers = a.num_layers;
  c.layer_types.clear();
  for (size_t i = 0; i < a.layer_types.size(); ++i) {
    const std::string& t = a.layer_types[i];
    if (t == "linear_attention") {
      c.layer_types.push_back(LayerType::kLightning);
    } else if (t == "full_attention") {
      c.layer_types.push_back(LayerType::kSoftmax);
    } else {
      return absl::InvalidArgumentError("model.arch.layer_types[" + std::to_string(i) + "]: unknown type '" + t + "'");
    }
  }
  c.num_heads = a.num_heads;
  c.head_dim = a.head_dim;
  c.num_kv_heads = a.num_kv_heads;
  c.rotary_dim = a.rotary_dim;
  c.rope_theta = a.rope_theta;
  c.intermediate_size = a.intermediate_size;
  c.num_experts = a.num_experts;
  c.experts_per_token = a.experts_per_token;
  c.max_position = a.max_position;
  c.rms_norm_eps = a.rms_norm_eps;
  c.postnorm = true;
  c.dialect = "original";
  Status st = c.Validate();
  if (!st.ok()) return absl::InvalidArgumentError("model.arch: " + std::string(st.message()));
  return c;
}

}  // namespace rl::model
