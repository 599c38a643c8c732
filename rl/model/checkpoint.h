// A Hugging Face checkpoint directory ↔ (ModelConfig, ParamMap, tokenizer.json text).
// Directory: config.json (either dialect, see hf_config.h), model.safetensors or shards +
// model.safetensors.index.json (see rl/io/sharded.h), optional tokenizer.json.
//
// Loading accepts both weight layouts and converts to the original names of params.h:
//   original:     model.layers.{i}.block_sparse_moe.gate.weight,
//                 model.layers.{i}.block_sparse_moe.experts.{e}.{w1,w2,w3}.weight
//   transformers: model.layers.{i}.mlp.gate.weight [E, C],
//                 model.layers.{i}.mlp.experts.gate_up_proj [E, 2I, C]  (rows: w1 then w3),
//                 model.layers.{i}.mlp.experts.down_proj [E, C, I]      (= w2)
// Attention weight names are the same in both. Any dtype the reader knows is converted to
// fp32. Unknown tensors are errors (except the decay/rotary buffers transformers may
// persist); missing tensors and shape mismatches name the tensor. Saving writes the layout
// of config.dialect unless told otherwise. Not thread-safe on the same directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rl/core/status.h"
#include "rl/io/dtype.h"
#include "rl/model/model_config.h"
#include "rl/model/params.h"

namespace rl::model {

enum class WeightLayout { kOriginal, kFused };

struct Checkpoint {
  ModelConfig config;
  ParamMap params;
  std::string tokenizer_json;  // empty when the directory has no tokenizer.json
};

struct SaveOptions {
  io::DType dtype = io::DType::kF32;     // F32 or BF16
  std::optional<WeightLayout> layout;    // default: kFused for the transformers dialect
  uint64_t max_shard_bytes = 0;          // 0 = one model.safetensors
  std::string tokenizer_json;            // written as tokenizer.json when not empty
};

StatusOr<Checkpoint> LoadCheckpoint(const std::string& dir);

// Checks params against config (CheckParams) before writing anything.
Status SaveCheckpoint(const std::string& dir, const ModelConfig& config, const ParamMap& params,
                      const SaveOptions& options = {});

// Total number of scalar parameters.
int64_t CountParams(const ParamMap& params);

}  // namespace rl::model
