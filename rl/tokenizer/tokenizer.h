// A Hugging Face tokenizer.json byte-level BPE tokenizer.
//
// Encode: added tokens (special or not) are matched first, longest first, and never split;
// the rest is cut into valid-UTF-8 runs (each invalid byte becomes a word of its own), each
// run is pre-tokenized (pretokenizer.h), mapped to the byte-level alphabet (byte_level.h) and
// merged by BPE rank (lowest rank first, leftmost on ties). Every byte has a symbol, so
// Decode(Encode(s)) == s for ANY byte string s. Encode adds no BOS/EOS (use the chat template).
// Decode maps symbols back to bytes; added tokens decode to their content; ids outside the
// vocabulary are skipped.
//
// Supported tokenizer.json subset: model.type BPE (vocab, merges as "a b" or ["a","b"],
// ignore_merges), pre_tokenizer ByteLevel/Split/Sequence/null, normalizer null, decoder
// ByteLevel (or null); anything else is an InvalidArgument naming the field. Immutable after
// loading; Encode/Decode are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rl/core/status.h"
#include "rl/tokenizer/pretokenizer.h"

namespace rl::tokenizer {

class Tokenizer {
 public:
  // `file` labels errors.
  static StatusOr<std::unique_ptr<Tokenizer>> FromJson(std::string_view json_text,
                                                       std::string_view file = "tokenizer.json");
  static StatusOr<std::unique_ptr<Tokenizer>> Load(const std::string& path);

  // parse_special = false treats added-token text as plain text.
  std::vector<int32_t> Encode(std::string_view text, bool parse_special = true) const;
  std::string Decode(std::span<const int32_t> ids, bool skip_special = false) const;

  // Largest id + 1 (vocab and added tokens).
  int64_t vocab_size() const { return static_cast<int64_t>(id_to_token_.size()); }
  std::optional<int32_t> TokenId(std::string_view token) const;  // vocab symbol or added content
  bool IsSpecial(int32_t id) const;
  // The vocabulary string of id (byte-level symbols, or an added token's content).
  std::string_view TokenString(int32_t id) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  struct Added {
    std::string content;
    int32_t id;
    bool special;
  };
  Tokenizer() = default;
  Status Build(std::string_view json_text, const std::string& file);
  void EncodeText(std::string_view text, std::vector<int32_t>* out) const;
  void EncodeWord(std::string_view bytes, std::vector<int32_t>* out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<uint8_t> is_added_, is_special_;
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) → merge
  int32_t byte_id_[256] = {};
  std::vector<Added> added_;                    // longest content first
  bool ignore_merges_ = false;
  std::optional<PreTokenizer> pre_;
};

}  // namespace rl::tokenizer
