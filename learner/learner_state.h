// learner_state.bin: the part of a training checkpoint that is not the weights (those go to
// the Hugging Face directory): optimiser step, data cursor, RNG state and the AdamW moments,
// tensor by tensor in the optimiser's registration order. Format (little-endian):
//   "RLLSTATE" (8 bytes), u32 version = 1, i64 step, i64 data_cursor,
//   u64 len + bytes of the RNG state (std::mt19937_64 text form),
//   u64 tensor count, then per tensor: u64 len + name bytes, u64 n, n f32 of m, n f32 of v.
// Written to <path>.tmp then renamed. Errors name the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rl/core/status.h"

namespace rl::learner {

struct LearnerState {
  int64_t step = 0;
  int64_t data_cursor = 0;
  std::string rng;
  std::vector<std::string> names;
  std::vector<std::vector<float>> m, v;
};

Status WriteLearnerState(const std::string& path, const LearnerState& state);
StatusOr<LearnerState> ReadLearnerState(const std::string& path);

}  // namespace rl::learner
