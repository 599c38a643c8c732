// The tokenizer of the embedded default model: byte-level BPE with the 256 byte symbols
// (id = byte value), a few dozen English/arithmetic merges, and the chat/think special
// tokens below. Its vocabulary (< 512) fits the default arch vocab_size 512. Generated in
// code so `rl model init` can write it into a checkpoint; the JSON is a standard
// tokenizer.json that Hugging Face `tokenizers` also loads. Also the chat template of the
// default model. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rl::tokenizer {

inline constexpr char kEndOfText[] = "<|endoftext|>";
inline constexpr char kImStart[] = "<|im_start|>";
inline constexpr char kImEnd[] = "<|im_end|>";
inline constexpr char kThinkOpen[] = "<think>";
inline constexpr char kThinkClose[] = "</think>";
inline constexpr char kPad[] = "<|pad|>";

// tokenizer.json text (deterministic: the same bytes every call).
std::string DefaultTokenizerJson();

// The chat template of the default model:
//   [<|im_start|>system\n{system}<|im_end|>\n]<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n
// Generation stops at <|im_end|> or <|endoftext|>.
std::string ApplyChatTemplate(std::string_view prompt, std::string_view system = "");

}  // namespace rl::tokenizer
