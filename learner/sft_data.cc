#include "learner/sft_data.h"

#include <fstream>

#include <nlohmann/json.hpp>

namespace rl::learner {

SftEncoding MakeByteEncoding(const ByteTokenizerOptions& o) {
  SftEncoding enc;
  auto bytes = [](const std::string& s) {
    std::vector<int32_t> ids;
    for (unsigned char ch : s) ids.push_back(static_cast<int32_t>(ch));
    return ids;
  };
  enc.prompt = [o, bytes](const std::string& s) {
    std::vector<int32_t> ids;
    if (o.bos_token_id >= 0) ids.push_back(static_cast<int32_t>(o.bos_token_id));
    for (int32_t id : bytes(s)) ids.push_back(id);
    return ids;
  };
  enc.response = [o, bytes](const std::string& s) {
    std::vector<int32_t> ids = bytes(s);
    if (o.eos_token_id >= 0) ids.push_back(static_cast<int32_t>(o.eos_token_id));
    return ids;
  };
  enc.vocab_size = o.vocab_size;
  enc.max_tokens = o.max_tokens;
  return enc;
}

StatusOr<std::vector<SftExample>> LoadSftJsonl(const std::string& path, const SftEncoding& o) {
  std::ifstream f(path);
  if (!f) return absl::NotFoundError("cannot open " + path);
  std::vector<SftExample> out;
  std::string line;
  int64_t lineno = 0;
  while (std::getline(f, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(lineno) + ": ";
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      return absl::InvalidArgumentError(where + "not a JSON object");
    for (const char* key : {"prompt", "response"}) {
      if (!j.contains(key) || !j[key].is_string()) {
        return absl::InvalidArgumentError(where + "field '" + key + "' missing or not a string");
      }
    }
    SftExample ex;
    ex.prompt = o.prompt(j["prompt"].get<std::string>());
    ex.response = o.response(j["response"].get<std::string>());
    if (ex.prompt.empty())
      return absl::InvalidArgumentError(where + "field 'prompt': empty (and no BOS token)");
    if (ex.response.empty()) return absl::InvalidArgumentError(where + "field 'response': empty");
    for (const auto* ids : {&ex.prompt, &ex.response}) {
      for (int32_t id : *ids) {
        if (id < 0 || id >= o.vocab_size) {
          return absl::InvalidArgumentError(where + "token id " + std::to_string(id) +
                                            " outside the model vocabulary (" +
                                            std::to_string(o.vocab_size) + ")");
        }
      }
    }
    if (static_cast<int64_t>(ex.prompt.size()) >= o.max_tokens) {
      return absl::InvalidArgumentError(where + "field 'prompt': longer than max_tokens");
    }
    const int64_t room = o.max_tokens - static_cast<int64_t>(ex.prompt.size());
    if (static_cast<int64_t>(ex.response.size()) > room) ex.response.resize(room);
    out.push_back(std::move(ex));
  }
  if (out.empty()) return absl::InvalidArgumentError(path + ": no examples");
  return out;
}

PackedSequences PackSft(const std::vector<SftExample>& examples, int64_t max_tokens,
                        int64_t* cursor) {
  PackedSequences b;
  b.offsets.push_back(0);
  const int64_t n = static_cast<int64_t>(examples.size());
  while (true) {
    const SftExample& ex = examples[*cursor % n];
    const int64_t len = static_cast<int64_t>(ex.prompt.size() + ex.response.size());
    if (!b.prompt_lens.empty() && static_cast<int64_t>(b.tokens.size()) + len > max_tokens) break;
    b.tokens.insert(b.tokens.end(), ex.prompt.begin(), ex.prompt.end());
    b.tokens.insert(b.tokens.end(), ex.response.begin(), ex.response.end());
    b.offsets.push_back(static_cast<int64_t>(b.tokens.size()));
    b.prompt_lens.push_back(static_cast<int64_t>(ex.prompt.size()));
    ++*cursor;
    if (static_cast<int64_t>(b.prompt_lens.size()) >= n) break;  // each example once per batch
  }
  return b;
}

}  // namespace rl::learner
