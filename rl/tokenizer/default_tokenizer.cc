#include "rl/tokenizer/default_tokenizer.h"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "rl/tokenizer/byte_level.h"

namespace rl::tokenizer {

std::string DefaultTokenizerJson() {
  using ojson = nlohmann::ordered_json;
  // Merges in rank order, as raw text pairs; each result becomes a vocabulary entry.
  static const std::vector<std::pair<const char*, const char*>> kMerges = {
      {" ", "t"}, {" ", "a"}, {"h", "e"}, {"i", "n"}, {"t", "h"}, {"e", "r"}, {"r", "e"},
      {"o", "n"}, {" t", "he"}, {"a", "n"}, {"e", "n"}, {"a", "t"}, {"o", "r"}, {" ", "s"},
      {" ", "w"}, {" ", "o"}, {"i", "s"}, {"n", "d"}, {"i", "t"}, {"e", "s"}, {" ", "c"},
      {" ", "b"}, {"in", "g"}, {" ", "f"}, {" ", "i"}, {"e", "d"}, {" ", "p"}, {" ", "m"},
      {"a", "r"}, {"o", "u"}, {" a", "nd"}, {" ", "="}, {" ", "+"}, {" ", "-"},
      {" ", "*"}, {"\n", "\n"}, {" ", " "}, {" i", "s"}, {" w", "h"}, {"a", "l"}, {"l", "e"},
  };
  static const std::vector<const char*> kSpecials = {kEndOfText, kImStart, kImEnd,
                                                     kThinkOpen, kThinkClose, kPad};
  ojson vocab = ojson::object();
  int id = 0;
  for (int b = 0; b < 256; ++b) {
    std::string sym;
    AppendUtf8(ByteToCodepoint(static_cast<uint8_t>(b)), &sym);
    vocab[sym] = id++;
  }
  ojson merges = ojson::array();
  for (const auto& [a, b] : kMerges) {
    std::string sa = BytesToSymbols(a), sb = BytesToSymbols(b);
    merges.push_back(ojson::array({sa, sb}));
    vocab[sa + sb] = id++;
  }
  ojson added = ojson::array();
  for (const char* s : kSpecials) {
    added.push_back({{"id", id++}, {"content", s}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  ojson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = added;
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                        {"use_regex", true}};
  j["post_processor"] = nullptr;
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                  {"use_regex", true}};
  j["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr},
                {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
                {"vocab", vocab}, {"merges", merges}};
  return j.dump(1) + "\n";
}

std::string ApplyChatTemplate(std::string_view prompt, std::string_view system) {
  std::string out;
  if (!system.empty()) {
    out += std::string(kImStart) + "system\n" + std::string(system) + kImEnd + "\n";
  }
  out += std::string(kImStart) + "user\n" + std::string(prompt) + kImEnd + "\n";
  out += std::string(kImStart) + "assistant\n";
  return out;
}

}  // namespace rl::tokenizer
