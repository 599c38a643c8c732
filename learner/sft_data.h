// SFT data: a JSONL file of {"prompt": str, "response": str} records, tokenized and packed
// into batches of whole examples (sequences concatenated, the prompt masked out of the loss).
// Tokenization is pluggable (SftEncoding): `rl sft` uses the checkpoint's tokenizer.json with
// the chat template; MakeByteEncoding tokenizes UTF-8 bytes (id = byte value) for tests and
// tokenizer-less models. Errors name the file and line. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
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

struct SftEncoding {
  std::function<std::vector<int32_t>(const std::string&)> prompt;    // template applied
  std::function<std::vector<int32_t>(const std::string&)> response;  // end token appended
  int64_t vocab_size = 0;                                            // every id must be below
  int64_t max_tokens = 4096;  // longer examples are truncated (response side)
};

// UTF-8 bytes as ids, BOS/EOS from options when >= 0. vocab_size must be >= 256.
SftEncoding MakeByteEncoding(const ByteTokenizerOptions& options);

StatusOr<std::vector<SftExample>> LoadSftJsonl(const std::string& path,
                                               const SftEncoding& encoding);
inline StatusOr<std::vector<SftExample>> LoadSftJsonl(const std::string& path,
                                                      const ByteTokenizerOptions& options) {
  if (options.vocab_size < 256) {
    return absl::InvalidArgumentError("byte tokenizer needs vocab_size >= 256, model has " +
                                      std::to_string(options.vocab_size));
  }
  return LoadSftJsonl(path, MakeByteEncoding(options));
}

// Packs examples starting at *cursor (wrapping around) until adding one more would exceed
// max_tokens (at least one example per batch); advances *cursor (total examples consumed).
PackedSequences PackSft(const std::vector<SftExample>& examples, int64_t max_tokens,
                        int64_t* cursor);

}  // namespace rl::learner
