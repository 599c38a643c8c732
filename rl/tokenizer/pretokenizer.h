// Pre-tokenization of Hugging Face tokenizer.json files: the text is cut into words before
// BPE. Supported steps (the `pre_tokenizer` field): ByteLevel {add_prefix_space, use_regex}
// (the GPT-2 split regex), Split {pattern: {Regex|String}, behavior: Isolated|Removed},
// Sequence of those, or null. Regexes run in PCRE2 with UTF and Unicode properties (\p{L}…).
// Input to Split() must be valid UTF-8 (the tokenizer cuts invalid bytes out first).
// Immutable after construction; Split() is thread-safe (match data is per call).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "rl/core/status.h"

namespace rl::tokenizer {

// The split pattern of GPT-2's ByteLevel pre-tokenizer.
inline constexpr char kGpt2SplitPattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// A compiled PCRE2 pattern (UTF + UCP). Move-only.
class Regex {
 public:
  // literal: match the pattern text as is. Errors name the pattern and the offset.
  static StatusOr<Regex> Compile(std::string_view pattern, bool literal = false);
  // Non-overlapping matches [begin, end) left to right; empty matches are skipped.
  void FindAll(std::string_view subject, std::vector<std::pair<size_t, size_t>>* out) const;

 private:
  struct Deleter {
    void operator()(void* code) const;
  };
  std::unique_ptr<void, Deleter> code_;
};

class PreTokenizer {
 public:
  // `spec` is the JSON value of "pre_tokenizer"; errors are prefixed by `where`.
  static StatusOr<PreTokenizer> FromJson(const nlohmann::json& spec, const std::string& where);

  // Appends the non-empty words of `text`, in order, to out.
  void Split(std::string_view text, std::vector<std::string>* out) const;

 private:
  struct Step {
    enum class Kind { kIsolated, kRemoved, kPrefixSpace } kind;
    std::shared_ptr<const Regex> regex;
  };
  Status AddSpec(const nlohmann::json& spec, const std::string& where);
  std::vector<Step> steps_;
};

}  // namespace rl::tokenizer
