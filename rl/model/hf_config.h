// Hugging Face config.json ↔ ModelConfig, in both dialects of MiniMax-Text-01:
//   original (remote code, model_type minimax_text_01 / minimax_m1): attn_type_list (0 =
//     lightning, 1 = softmax), layernorm_{full_attention,linear_attention,mlp}_{alpha,beta},
//     postnorm, rotary_dim, num_local_experts, num_experts_per_tok, head_dim, …
//   transformers (model_type minimax): layer_types ("linear_attention"/"full_attention"),
//     {full_attn,linear_attn,mlp}_{alpha,beta}_factor, rope_parameters {rope_theta,
//     partial_rotary_factor} (or the legacy top-level keys); always post-norm.
// The dialect is remembered in ModelConfig::dialect and saving writes the same dialect back.
// Every error names the file and the key. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "rl/config/run_config.h"
#include "rl/core/status.h"
#include "rl/model/model_config.h"

namespace rl::model {

// `file` only labels errors. The result is Validate()d.
StatusOr<ModelConfig> ParseHfConfig(std::string_view json_text, std::string_view file = "config.json");
StatusOr<ModelConfig> LoadHfConfig(const std::string& path);

// config.json text in config.dialect ("original" or "transformers"). InvalidArgument when the
// dialect cannot express the config (e.g. transformers with postnorm = false).
StatusOr<std::string> HfConfigToJson(const ModelConfig& config);
Status SaveHfConfig(const std::string& path, const ModelConfig& config);

// The YAML inline architecture (model.arch); dialect "original", α = β = 1, post-norm.
StatusOr<ModelConfig> ModelConfigFromArch(const config::ArchSection& arch);

}  // namespace rl::model
