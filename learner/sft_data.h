// SFT data: a JSONL file of {"prompt": str, "response": str} records, tokenized and packed
// into batches of whole examples (sequences concatenated, the prompt masked out of the loss).
// Tokenizer: until a tokenizer.json implementation exists, text is tokenized as UTF-8 bytes
// (token id = byte value; the vocabulary must have >= 256 entries), with optional BOS/EOS
// ids from the model config. Errors name the file and line. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "learner/trainer.h"
#include "rl/core/status.h"

namespace rl::learner {

struct SftExample {
  std::vector<int32_t> prompt;    // >= 1 token
  std::vector<int32_t> response;  // >= 1 token
};

struct ByteTokenizerOptions {
  int64_t vocab_size = 512;
  int64_t bos_token_id = -1;  // prepended to the prompt when >= 0
  int64_t eos_token_id = -1;  // appended to the response when >= 0
  int64_t max_tokens = 4096;  // longer examples are truncated (response side)
};

StatusOr<std::vector<SftExample>> LoadSftJsonl(const std::string& path,
                                               const ByteTokenizerOptions& options);

// Packs examples starting at *cursor (wrapping around) until adding one more would exceed
// max_tokens (at least one example per batch); advances *cursor (total examples consumed).
PackedSequences PackSft(const std::vector<SftExample>& examples, int64_t max_tokens,
                        int64_t* cursor);

}  // namespace rl::learner
