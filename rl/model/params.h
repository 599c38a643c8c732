// Model parameters as named fp32 tensors, keyed by the Hugging Face names of the ORIGINAL
// MiniMax-Text-01 checkpoint (RECIPE.md "Weight names"): model.embed_tokens.weight,
// model.layers.{i}.self_attn.qkv_proj.weight, …,
// model.layers.{i}.block_sparse_moe.experts.{e}.w1.weight, model.norm.weight, lm_head.weight.
// Checkpoint I/O (rl/io) converts other layouts (fused transformers experts, BF16) to this one on
// load. Row-major; a [out, in] linear weight as in PyTorch. Not thread-safe to mutate; the forward
// reads it concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rl/model/model_config.h"

namespace rl::model {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

using ParamMap = std::map<std::string, Tensor>;

// Every parameter the architecture has, with its shape (original names).
std::map<std::string, std::vector<int64_t>> ExpectedParamShapes(const ModelConfig& config);

// Random initialisation (normal(0, 0.02) for matrices, ones for norm weights), seeded.
ParamMap InitParams(const ModelConfig& config, uint64_t seed);

// Checks that params has exactly the expected names and shapes; the error names the tensor.
Status CheckParams(const ModelConfig& config, const ParamMap& params);

}  // namespace rl::model
