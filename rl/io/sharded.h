// The weights of a Hugging Face checkpoint directory: one `model.safetensors`, or shards
// listed in `model.safetensors.index.json` ({"metadata": {...}, "weight_map": {name: file}}).
// When both exist the index wins. Opening validates every shard (see safetensors.h) and that
// every tensor the index names is in the shard it names; shard file names must be plain
// names inside the directory. Immutable after Open; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rl/io/safetensors.h"

namespace rl::io {

inline constexpr char kSingleWeightsFile[] = "model.safetensors";
inline constexpr char kWeightsIndexFile[] = "model.safetensors.index.json";

class CheckpointWeights {
 public:
  struct Located {
    const SafetensorsReader* reader;
    const TensorEntry* entry;
  };

  // NotFound when the directory has neither file.
  static StatusOr<CheckpointWeights> Open(const std::string& dir);

  const std::map<std::string, Located>& tensors() const { return tensors_; }
  const Located* Find(const std::string& name) const;
  StatusOr<std::vector<float>> ReadFloat(const std::string& name) const;
  // Files the weights came from (one or the shards), for messages.
  std::vector<std::string> files() const;

 private:
  std::vector<std::unique_ptr<SafetensorsReader>> readers_;
  std::map<std::string, Located> tensors_;
};

// Writes tensors into dir: a single model.safetensors when max_shard_bytes is 0 or all fit,
// else model-00001-of-0000N.safetensors … plus the index. Removes the files of the other
// layout (a stale index or single file) so the directory is unambiguous. Tensors are kept
// whole (a tensor larger than max_shard_bytes gets a shard of its own).
Status WriteCheckpointWeights(const std::string& dir, std::span<const TensorToWrite> tensors,
                              DType dtype, uint64_t max_shard_bytes = 0,
                              const std::map<std::string, std::string>& metadata = {});

}  // namespace rl::io
