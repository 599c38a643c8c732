#include "rl/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <climits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "rl/tokenizer/byte_level.h"
#include "rl/tokenizer/default_tokenizer.h"

namespace rl::tokenizer {
namespace {

using json = nlohmann::json;

TEST(ByteLevel, MapIsABijectionWithGpt2Anchors) {
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    uint32_t cp = ByteToCodepoint(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second);
    EXPECT_EQ(CodepointToByte(cp), b);
  }
  EXPECT_EQ(ByteToCodepoint(' '), 0x120u);   // 'Ġ'
  EXPECT_EQ(ByteToCodepoint('\n'), 0x10au);  // 'Ċ'
  EXPECT_EQ(ByteToCodepoint(0), 0x100u);
  EXPECT_EQ(ByteToCodepoint('A'), static_cast<uint32_t>('A'));
  EXPECT_EQ(ByteToCodepoint(0xad), 0x143u);  // soft hyphen: the last non-printable below 256
  EXPECT_EQ(CodepointToByte(0x4e00), -1);
}

TEST(ByteLevel, Utf8Validation) {
  EXPECT_EQ(ValidUtf8Length("\xe2\x82\xac", 0), 3u);
  EXPECT_EQ(ValidUtf8Length("\xf0\x9f\x98\x80", 0), 4u);
  EXPECT_EQ(ValidUtf8Length("\xc0\x80", 0), 0u);          // overlong NUL
  EXPECT_EQ(ValidUtf8Length("\xed\xa0\x80", 0), 0u);      // surrogate
  EXPECT_EQ(ValidUtf8Length("\xf4\x90\x80\x80", 0), 0u);  // > U+10FFFF
  EXPECT_EQ(ValidUtf8Length("\xe2\x82", 0), 0u);          // truncated
  EXPECT_EQ(ValidUtf8Length("\x80", 0), 0u);
}

std::vector<std::string> Words(const PreTokenizer& p, std::string_view s) {
  std::vector<std::string> out;
  p.Split(s, &out);
  return out;
}

TEST(ByteLevel, SanitizeUtf8ReplacesOnlyInvalidBytes) {
  // Valid text (ASCII, 2-, 3- and 4-byte characters) is unchanged.
  const std::string ok = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";
  EXPECT_EQ(SanitizeUtf8(ok), ok);
  // A character cut after its first byte, a stray continuation byte and an overlong form:
  // one U+FFFD per offending byte, the rest kept.
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(SanitizeUtf8("7+8=\xE2\x82"), "7+8=" + r + r);
  EXPECT_EQ(SanitizeUtf8("x\x84y"), "x" + r + "y");
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), r + r);
  EXPECT_EQ(SanitizeUtf8(""), "");
}

TEST(PreTokenizer, Gpt2SplitHandComputed) {
  auto p = PreTokenizer::FromJson(json{{"type", "ByteLevel"}, {"add_prefix_space", false}}, "t");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Words(*p, "Hello world's 123  x\n"),
            (std::vector<std::string>{"Hello", " world", "'s", " 123", " ", " x", "\n"}));
  EXPECT_EQ(Words(*p, "héllo мир 你好!?"),
            (std::vector<std::string>{"héllo", " мир", " 你好", "!?"}));
  auto q = PreTokenizer::FromJson(json{{"type", "ByteLevel"}, {"add_prefix_space", true}}, "t");
  EXPECT_EQ(Words(*q, "hi"), (std::vector<std::string>{" hi"}));
  // Sequence: split digits one by one (Isolated), then the GPT-2 regex without prefix.
  json seq = {{"type", "Sequence"},
              {"pretokenizers",
               {{{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}"}}}, {"behavior", "Isolated"}},
                {{"type", "ByteLevel"}, {"use_regex", false}}}}};
  auto s = PreTokenizer::FromJson(seq, "t");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Words(*s, "ab12c"), (std::vector<std::string>{"ab", "1", "2", "c"}));
  auto r = PreTokenizer::FromJson(
      json{{"type", "Split"}, {"pattern", {{"String", "+"}}}, {"behavior", "Removed"}}, "t");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Words(*r, "a+b++c"), (std::vector<std::string>{"a", "b", "c"}));
}

// A tokenizer over the bytes with random merges among symbols made of `alphabet`.
json RandomBpeJson(uint32_t seed, int n_merges, const json& pre) {
  std::mt19937 rng(seed);
  json vocab = json::object();
  int id = 0;
  std::vector<std::string> syms;
  for (int b = 0; b < 256; ++b) {
    std::string s;
    AppendUtf8(ByteToCodepoint(static_cast<uint8_t>(b)), &s);
    vocab[s] = id++;
  }
  for (char c : std::string("ab c")) syms.push_back(BytesToSymbols(std::string(1, c)));
  json merges = json::array();
  std::set<std::string> made;
  while (static_cast<int>(merges.size()) < n_merges) {
    const std::string& a = syms[rng() % syms.size()];
    const std::string& b = syms[rng() % syms.size()];
    if (!made.insert(a + "\x01" + b).second) continue;
    merges.push_back(a + " " + b);
    if (!vocab.contains(a + b)) {
      vocab[a + b] = id++;
      syms.push_back(a + b);
    }
  }
  return json{{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
              {"pre_tokenizer", pre},
              {"added_tokens", {{{"id", id}, {"content", "<s>"}, {"special", true}}}}};
}

// Naive BPE: repeatedly merge the leftmost adjacent pair of lowest rank.
std::vector<std::string> NaiveBpe(const std::vector<std::string>& symbols,
                                  const std::map<std::pair<std::string, std::string>, int>& ranks) {
  std::vector<std::string> w = symbols;
  while (true) {
    int best = INT_MAX;
    size_t at = 0;
    for (size_t i = 0; i + 1 < w.size(); ++i) {
      auto it = ranks.find({w[i], w[i + 1]});
      if (it != ranks.end() && it->second < best) {
        best = it->second;
        at = i;
      }
    }
    if (best == INT_MAX) return w;
    w[at] += w[at + 1];
    w.erase(w.begin() + static_cast<long>(at) + 1);
  }
}

TEST(Tokenizer, BpeMatchesNaiveReference) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    json j = RandomBpeJson(seed, 60, nullptr);  // no pre-tokenizer: long words
    auto tok = Tokenizer::FromJson(j.dump());
    ASSERT_TRUE(tok.ok()) << tok.status();
    std::map<std::pair<std::string, std::string>, int> ranks;
    int r = 0;
    for (const auto& m : j["model"]["merges"]) {
      std::string s = m.get<std::string>();
      ranks.emplace(std::make_pair(s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)), r++);
    }
    std::mt19937 rng(seed * 7);
    for (int trial = 0; trial < 200; ++trial) {
      std::string text;
      int len = 1 + static_cast<int>(rng() % 40);
      for (int i = 0; i < len; ++i) text += "ab c"[rng() % 4];
      std::vector<std::string> syms;
      for (char c : text) syms.push_back(BytesToSymbols(std::string(1, c)));
      std::vector<std::string> want = NaiveBpe(syms, ranks);
      std::vector<int32_t> ids = (*tok)->Encode(text);
      std::vector<std::string> got;
      for (int32_t id : ids) got.emplace_back((*tok)->TokenString(id));
      ASSERT_EQ(got, want) << "seed " << seed << " text '" << text << "'";
      ASSERT_EQ((*tok)->Decode(ids), text);
    }
  }
}

TEST(Tokenizer, RoundTripsArbitraryBytes) {
  auto def = Tokenizer::FromJson(DefaultTokenizerJson());
  ASSERT_TRUE(def.ok()) << def.status();
  auto rnd = Tokenizer::FromJson(RandomBpeJson(9, 40, json{{"type", "ByteLevel"}}).dump());
  ASSERT_TRUE(rnd.ok()) << rnd.status();
  std::mt19937 rng(3);
  const std::vector<std::string> pieces = {
      "the ",         "and",          " ",      "\n\n",     "é", "你好", "\xff", "\xc0\x80",
      "\xed\xa0\x80", "\xf0\x9f\x98", "12+34=", "<|im_end", "\0"};
  for (int trial = 0; trial < 500; ++trial) {
    std::string s;
    int n = static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      if (rng() % 3 == 0) {
        s += static_cast<char>(rng() & 0xff);
      } else {
        s += pieces[rng() % pieces.size()];
      }
    }
    for (const auto* t : {def->get(), rnd->get()}) {
      auto ids = t->Encode(s, /*parse_special=*/false);
      ASSERT_EQ(t->Decode(ids), s) << trial;
      for (int32_t id : ids) ASSERT_FALSE(t->IsSpecial(id));
    }
  }
}

TEST(Tokenizer, SpecialTokensMatchedFirst) {
  auto t = Tokenizer::FromJson(DefaultTokenizerJson());
  ASSERT_TRUE(t.ok());
  const int32_t start = *(*t)->TokenId(kImStart), end = *(*t)->TokenId(kImEnd);
  const int32_t think = *(*t)->TokenId(kThinkOpen), unthink = *(*t)->TokenId(kThinkClose);
  std::string text =
      "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>x</think>4<|im_end|>";
  auto ids = (*t)->Encode(text);
  EXPECT_EQ(ids.front(), start);
  EXPECT_EQ(ids.back(), end);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), start), 2);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), think), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), end), 2);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), unthink), 1);
  EXPECT_EQ((*t)->Decode(ids), text);
  EXPECT_EQ((*t)->Decode(ids, /*skip_special=*/true), "user\n2+2?\nassistant\nx4");
  auto plain = (*t)->Encode(text, /*parse_special=*/false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), start), 0);
  EXPECT_EQ((*t)->Decode(plain), text);
}

TEST(Tokenizer, DefaultTokenizerFitsTheDefaultVocab) {
  auto t = Tokenizer::FromJson(DefaultTokenizerJson());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_LE((*t)->vocab_size(), 512);
  EXPECT_GT((*t)->vocab_size(), 256);
  for (const char* s : {kEndOfText, kImStart, kImEnd, kThinkOpen, kThinkClose, kPad}) {
    auto id = (*t)->TokenId(s);
    ASSERT_TRUE(id.has_value()) << s;
    EXPECT_TRUE((*t)->IsSpecial(*id));
  }
  // Byte ids are the byte values; " the" and " and" are single merged tokens.
  EXPECT_EQ((*t)->Encode("A"), (std::vector<int32_t>{'A'}));
  EXPECT_EQ((*t)->Encode(" the").size(), 1u);
  EXPECT_EQ((*t)->Encode(" and").size(), 1u);
  EXPECT_EQ((*t)->Decode((*t)->Encode(" the")), " the");
  EXPECT_EQ(DefaultTokenizerJson(), DefaultTokenizerJson());
}

}  // namespace
}  // namespace rl::tokenizer
