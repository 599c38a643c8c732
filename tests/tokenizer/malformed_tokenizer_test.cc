// Malformed tokenizer.json files: each fails with an error naming the file and the field.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"

namespace rl::tokenizer {
namespace {

using json = nlohmann::json;

TEST(MalformedTokenizer, EachCaseNamesTheField) {
  const json base = json::parse(DefaultTokenizerJson());
  struct Case {
    std::function<void(json&)> edit;
    const char* needle;
  };
  std::vector<Case> cases = {
      {[](json& j) { j.erase("model"); }, "'model'"},
      {[](json& j) { j["model"]["type"] = "WordPiece"; }, "model.type"},
      {[](json& j) { j["model"]["vocab"] = json::array(); }, "model.vocab"},
      {[](json& j) { j["model"]["vocab"]["Ġthe"] = -3; }, "model.vocab['Ġthe']"},
      {[](json& j) { j["model"]["merges"] = 5; }, "model.merges"},
      {[](json& j) { j["model"]["merges"][2] = "hexx"; }, "model.merges[2]"},
      {[](json& j) {
         j["model"]["merges"][3] = json::array({"i", "zz"});
       },
       "'zz' is not in the vocabulary"},
      {[](json& j) { j["model"]["merges"].push_back("q z"); }, "'qz' is not in the vocabulary"},
      {[](json& j) { j["model"]["vocab"].erase("Ġ"); }, "byte 0x20"},
      {[](json& j) { j["model"]["vocab"]["A"] = 66; }, "id 66 is used twice"},
      {[](json& j) { j["model"]["byte_fallback"] = true; }, "byte_fallback"},
      {[](json& j) { j["model"]["dropout"] = 0.1; }, "dropout"},
      {[](json& j) { j["added_tokens"][0]["lstrip"] = true; }, "lstrip"},
      {[](json& j) { j["added_tokens"][1].erase("id"); }, "added_tokens[1]"},
      {[](json& j) { j["added_tokens"][1]["id"] = 65; }, "reuses id 65"},
      {[](json& j) {
         j["normalizer"] = {{"type", "NFC"}};
       },
       "normalizer NFC"},
      {[](json& j) {
         j["decoder"] = {{"type", "WordPiece"}};
       },
       "decoder"},
      {[](json& j) {
         j["pre_tokenizer"] = {{"type", "Whitespace"}};
       },
       "pre_tokenizer: pre-tokenizer type 'Whitespace'"},
      {[](json& j) {
         j["pre_tokenizer"] = {
             {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
       },
       "pre_tokenizer.pattern: regex '(unclosed'"},
      {[](json& j) {
         j["pre_tokenizer"] = {
             {"type", "Split"}, {"pattern", {{"Regex", "a"}}}, {"behavior", "Contiguous"}};
       },
       "behavior: 'Contiguous'"},
      {[](json& j) {
         j["pre_tokenizer"] = {{"type", "Sequence"}};
       },
       "pretokenizers"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    json j = base;
    cases[i].edit(j);
    auto t = Tokenizer::FromJson(j.dump(), "m/tokenizer.json");
    ASSERT_FALSE(t.ok()) << i;
    std::string msg(t.status().message());
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << msg;
    EXPECT_NE(msg.find("m/tokenizer.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find(cases[i].needle), std::string::npos) << i << ": " << msg;
  }
  for (const char* text : {"", "{", "[]", "null", "{\"model\": 3}"}) {
    EXPECT_FALSE(Tokenizer::FromJson(text).ok()) << text;
  }
  EXPECT_EQ(Tokenizer::Load("/nonexistent/tokenizer.json").status().code(),
            absl::StatusCode::kNotFound);
}

// Random byte corruptions of a valid tokenizer.json: loading either fails with a Status or
// yields a tokenizer that still round-trips bytes — never a crash (ASan in the sanitizer build).
TEST(MalformedTokenizer, RandomCorruptionsNeverCrash) {
  const std::string good = DefaultTokenizerJson();
  std::mt19937 rng(23);
  int loaded = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string text = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) text[rng() % text.size()] = static_cast<char>(rng() & 0xff);
    auto t = Tokenizer::FromJson(text);
    if (!t.ok()) continue;
    ++loaded;
    const std::string probe = "the cat\xff\n<think>2+2</think>\xe4\xbd";
    ASSERT_EQ((*t)->Decode((*t)->Encode(probe, /*parse_special=*/false)), probe) << trial;
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace rl::tokenizer
