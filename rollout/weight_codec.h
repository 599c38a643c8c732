// A full parameter set ↔ a stream of proto::WeightChunk messages (proto/rollout.proto).
// Order: tensors by name (ParamMap order); each tensor split into chunks of at most
// chunk_bytes of little-endian fp32. The first chunk carries version, num_tensors and the
// optional config JSON; every chunk repeats version and tensor_name; a tensor's first chunk
// (offset 0) carries its shape. The last chunk has last = true and the checksum:
// FNV-1a 64 over, for each tensor in stream order, its name bytes then its data bytes.
// Pure functions and a single-owner assembler; no shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "proto/rollout.pb.h"
#include "rl/core/status.h"
#include "rl/model/params.h"
#include "rollout/backend.h"

namespace rl::rollout {

constexpr int64_t kDefaultChunkBytes = int64_t{1} << 20;

// FNV-1a 64 continued from h.
uint64_t Fnv1a64(const void* data, size_t size, uint64_t h = 14695981039346656037ull);

struct EncodeStats {
  int64_t chunks = 0;
  int64_t bytes = 0;  // tensor data bytes
  int64_t tensors = 0;
  uint64_t checksum = 0;
};

// Calls emit(chunk) for each chunk; stops early (Unavailable) when emit returns false.
// chunk is reused between calls (emit must copy or write it out before returning).
StatusOr<EncodeStats> EncodeWeights(int64_t version, std::string_view config_json,
                                    const model::ParamMap& params, int64_t chunk_bytes,
                                    const std::function<bool(const proto::WeightChunk&)>& emit);

// Rebuilds a WeightUpdate from chunks; every inconsistency is a DataLoss/InvalidArgument
// naming the tensor and chunk index.
class WeightAssembler {
 public:
  Status Add(const proto::WeightChunk& chunk);
  // After the chunk with last = true: checks the tensor count and the checksum.
  StatusOr<WeightUpdate> Finish();
  int64_t bytes() const { return bytes_; }
  int64_t chunks() const { return chunks_; }
  bool complete() const { return last_seen_; }

 private:
  Status CloseTensor();

  WeightUpdate update_;
  int64_t chunks_ = 0;
  int64_t bytes_ = 0;
  int64_t num_tensors_ = 0;
  bool last_seen_ = false;
  uint64_t checksum_ = 0;
  uint64_t expected_checksum_ = 0;
  model::Tensor* current_ = nullptr;
  std::string current_name_;
  int64_t filled_ = 0;  // elements of current_ received
};

}  // namespace rl::rollout
