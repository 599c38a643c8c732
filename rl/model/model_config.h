// The architecture of a MiniMax-Text-01-style model: hybrid lightning (linear) and softmax
// attention layers in any pattern, MoE feed-forward (E = 1 is a dense MLP), post-norm
// residuals with α/β per layer type. Filled from a Hugging Face config.json (either dialect,
// see hf_config.h) or from the YAML `model.arch` section. Plain data; no invariants beyond
// Validate().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rl/core/status.h"

namespace rl::model {

enum class LayerType { kLightning, kSoftmax };

struct ModelConfig {
  int64_t vocab_size = 512;
  int64_t hidden_size = 128;  // C
  int64_t num_layers = 4;     // L
  std::vector<LayerType> layer_types;
  int64_t num_heads = 4;     // H
  int64_t head_dim = 32;     // D
  int64_t num_kv_heads = 2;  // KVH (softmax layers)
  int64_t rotary_dim = 16;   // RoPE on the first rotary_dim dims of each head
  double rope_theta = 10000.0;
  int64_t intermediate_size = 256;  // I (per expert)
  int64_t num_experts = 4;          // E
  int64_t experts_per_token = 2;    // top-k
  double rms_norm_eps = 1e-5;
  double lightning_norm_eps = 1e-6;  // the joint output norm of lightning layers
  bool postnorm = true;
  // Residual scales: x1 = α_attn·r1 + β_attn·Attn(h1), per layer type; x2 = α_mlp·r2 +
  // β_mlp·MoE(h2).
  double lightning_alpha = 1.0, lightning_beta = 1.0;
  double softmax_alpha = 1.0, softmax_beta = 1.0;
  double mlp_alpha = 1.0, mlp_beta = 1.0;
  int64_t max_position = 8192;
  bool tie_word_embeddings = false;
  int64_t bos_token_id = -1, eos_token_id = -1;
  double router_aux_loss_coef = 0.001;
  // Which key dialect the config came from ("original" or "transformers"); saving writes it back.
  std::string dialect = "original";

  Status Validate() const;
};

}  // namespace rl::model
