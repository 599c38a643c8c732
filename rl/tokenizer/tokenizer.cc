#include "rl/tokenizer/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <queue>
#include <sstream>

#include "rl/tokenizer/byte_level.h"

namespace rl::tokenizer {
namespace {

using json = nlohmann::json;

uint64_t PairKey(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

}  // namespace

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view json_text, std::string_view file) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  RL_RETURN_IF_ERROR(t->Build(json_text, std::string(file)));
  return t;
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return FromJson(ss.str(), path);
}

Status Tokenizer::Build(std::string_view json_text, const std::string& file) {
  auto bad = [&](const std::string& m) { return absl::InvalidArgumentError(file + ": " + m); };
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    return bad(std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return bad("must be a JSON object");
  if (!j.contains("model") || !j["model"].is_object()) return bad("missing the 'model' object");
  const json& m = j["model"];
  if (m.contains("type") && m["type"] != "BPE") return bad("model.type " + m["type"].dump() + " is not supported (BPE)");
  if (!m.contains("vocab") || !m["vocab"].is_object()) return bad("model.vocab must be an object {token: id}");
  if (!m.contains("merges") || !m["merges"].is_array()) return bad("model.merges must be a list");
  for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (m.contains(k) && !m[k].is_null() && m[k] != "") return bad(std::string("model.") + k + " is not supported");
  }
  if (m.contains("dropout") && !m["dropout"].is_null()) return bad("model.dropout must be null");
  if (m.value("byte_fallback", false)) return bad("model.byte_fallback is not supported (byte-level BPE needs none)");
  ignore_merges_ = m.value("ignore_merges", false);
  if (j.contains("normalizer") && !j["normalizer"].is_null()) {
    return bad("normalizer " + j["normalizer"].value("type", std::string("?")) + " is not supported (null only)");
  }
  if (j.contains("decoder") && !j["decoder"].is_null()) {
    const json& d = j["decoder"];
    bool ok = d.is_object() && d.value("type", "") == "ByteLevel";
    if (!ok) return bad("decoder must be ByteLevel or null, got " + d.dump());
  }
  auto pre = PreTokenizer::FromJson(j.value("pre_tokenizer", json()), file + ": pre_tokenizer");
  if (!pre.ok()) return pre.status();
  pre_ = std::move(*pre);

  int64_t max_id = -1;
  for (auto it = m["vocab"].begin(); it != m["vocab"].end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 || it.value().get<int64_t>() > (1 << 30)) {
      return bad("model.vocab['" + it.key() + "'] must be a non-negative integer id");
    }
    vocab_[it.key()] = it.value().get<int32_t>();
    max_id = std::max<int64_t>(max_id, it.value().get<int64_t>());
  }
  std::vector<Added> added;
  if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
    if (!j["added_tokens"].is_array()) return bad("added_tokens must be a list");
    for (size_t i = 0; i < j["added_tokens"].size(); ++i) {
      const json& a = j["added_tokens"][i];
      const std::string where = "added_tokens[" + std::to_string(i) + "]";
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || a["id"].get<int64_t>() < 0 ||
          a["id"].get<int64_t>() > (1 << 30) || !a.contains("content") || !a["content"].is_string()) {
        return bad(where + ": needs an integer 'id' >= 0 and a string 'content'");
      }
      Added t{a["content"].get<std::string>(), a["id"].get<int32_t>(), a.value("special", false)};
      if (t.content.empty()) return bad(where + ": empty content");
      for (const char* k : {"lstrip", "rstrip", "single_word"}) {
        if (a.value(k, false)) return bad(where + " ('" + t.content + "'): " + k + " = true is not supported");
      }
      max_id = std::max<int64_t>(max_id, t.id);
      added.push_back(std::move(t));
    }
  }
  if (max_id < 0) return bad("empty vocabulary");
  id_to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  is_added_.assign(id_to_token_.size(), 0);
  is_special_.assign(id_to_token_.size(), 0);
  std::vector<uint8_t> used(id_to_token_.size(), 0);
  for (const auto& [tok, id] : vocab_) {
    if (used[id]) return bad("model.vocab: id " + std::to_string(id) + " is used twice ('" + id_to_token_[id] + "', '" + tok + "')");
    used[id] = 1;
    id_to_token_[id] = tok;
  }
  for (const auto& a : added) {
    if (used[a.id] && !(id_to_token_[a.id] == a.content && !is_added_[a.id])) {
      return bad("added token '" + a.content + "' reuses id " + std::to_string(a.id) + " of '" + id_to_token_[a.id] + "'");
    }
    used[a.id] = 1;
    id_to_token_[a.id] = a.content;
    is_added_[a.id] = 1;
    is_special_[a.id] = a.special;
  }
  for (int b = 0; b < 256; ++b) {
    std::string sym;
    AppendUtf8(ByteToCodepoint(static_cast<uint8_t>(b)), &sym);
    auto it = vocab_.find(sym);
    if (it == vocab_.end()) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", b);
      return bad(std::string("model.vocab lacks the byte-level symbol of byte ") + hex + " ('" + sym + "')");
    }
    byte_id_[b] = it->second;
  }
  const json& merges = m["merges"];
  for (size_t r = 0; r < merges.size(); ++r) {
    std::string a, b;
    const json& mm = merges[r];
    if (mm.is_string()) {
      const std::string s = mm.get<std::string>();
      size_t sp = s.find(' ');
      if (sp == std::string::npos || sp == 0 || sp + 1 >= s.size() || s.find(' ', sp + 1) != std::string::npos) {
        return bad("model.merges[" + std::to_string(r) + "] '" + s + "' must be two symbols separated by one space");
      }
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (mm.is_array() && mm.size() == 2 && mm[0].is_string() && mm[1].is_string()) {
      a = mm[0].get<std::string>();
      b = mm[1].get<std::string>();
    } else {
      return bad("model.merges[" + std::to_string(r) + "] must be \"a b\" or [\"a\", \"b\"]");
    }
    auto ia = vocab_.find(a), ib = vocab_.find(b), ic = vocab_.find(a + b);
    if (ia == vocab_.end() || ib == vocab_.end() || ic == vocab_.end()) {
      return bad("model.merges[" + std::to_string(r) + "] ('" + a + "', '" + b + "'): " +
                 (ia == vocab_.end() ? "'" + a + "'" : ib == vocab_.end() ? "'" + b + "'" : "'" + a + b + "'") +
                 " is not in the vocabulary");
    }
    merges_.emplace(PairKey(ia->second, ib->second), Merge{static_cast<int32_t>(r), ic->second});  // first wins
  }
  added_ = std::move(added);
  std::stable_sort(added_.begin(), added_.end(),
                   [](const Added& x, const Added& y) { return x.content.size() > y.content.size(); });
  return absl::OkStatus();
}

std::optional<int32_t> Tokenizer::TokenId(std::string_view token) const {
  for (const auto& a : added_) {
    if (a.content == token) return a.id;
  }
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && id < vocab_size() && is_special_[id];
}

std::string_view Tokenizer::TokenString(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return id_to_token_[id];
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool parse_special) const {
  std::vector<int32_t> out;
  size_t start = 0, i = 0;
  while (i < text.size()) {
    const Added* hit = nullptr;
    if (parse_special) {
      for (const auto& a : added_) {  // longest first
        if (text.compare(i, a.content.size(), a.content) == 0) {
          hit = &a;
          break;
        }
      }
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    if (i > start) EncodeText(text.substr(start, i - start), &out);
    out.push_back(hit->id);
    i += hit->content.size();
    start = i;
  }
  if (start < text.size()) EncodeText(text.substr(start), &out);
  return out;
}

void Tokenizer::EncodeText(std::string_view text, std::vector<int32_t>* out) const {
  std::vector<std::string> words;
  size_t run = 0, i = 0;
  auto flush = [&](size_t end) {
    if (end > run) {
      words.clear();
      pre_->Split(text.substr(run, end - run), &words);
      for (const auto& w : words) EncodeWord(w, out);
    }
  };
  while (i < text.size()) {
    size_t len = ValidUtf8Length(text, i);
    if (len > 0) {
      i += len;
      continue;
    }
    flush(i);  // an invalid byte is a word of its own
    out->push_back(byte_id_[static_cast<unsigned char>(text[i])]);
    run = ++i;
  }
  flush(text.size());
}

void Tokenizer::EncodeWord(std::string_view bytes, std::vector<int32_t>* out) const {
  if (bytes.size() == 1) {
    out->push_back(byte_id_[static_cast<unsigned char>(bytes[0])]);
    return;
  }
  if (ignore_merges_) {
    auto it = vocab_.find(BytesToSymbols(bytes));
    if (it != vocab_.end()) {
      out->push_back(it->second);
      return;
    }
  }
  // Doubly linked symbols; a min-heap of candidate merges keyed (rank, left position).
  const int n = static_cast<int>(bytes.size());
  std::vector<int32_t> id(n);
  std::vector<int> prev(n), next(n);
  for (int k = 0; k < n; ++k) {
    id[k] = byte_id_[static_cast<unsigned char>(bytes[k])];
    prev[k] = k - 1;
    next[k] = k + 1 < n ? k + 1 : -1;
  }
  struct Cand {
    int32_t rank;
    int left;
    int32_t left_id, right_id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](int l) {
    if (l < 0 || next[l] < 0) return;
    auto it = merges_.find(PairKey(id[l], id[next[l]]));
    if (it != merges_.end()) heap.push({it->second.rank, l, id[l], id[next[l]]});
  };
  for (int k = 0; k + 1 < n; ++k) push(k);
  std::vector<uint8_t> alive(n, 1);
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    const int l = c.left;
    if (!alive[l] || next[l] < 0 || id[l] != c.left_id || id[next[l]] != c.right_id) continue;
    const int r = next[l];
    id[l] = merges_.at(PairKey(c.left_id, c.right_id)).result;
    alive[r] = 0;
    next[l] = next[r];
    if (next[r] >= 0) prev[next[r]] = l;
    push(prev[l]);
    push(l);
  }
  for (int k = 0; k >= 0; k = next[k]) out->push_back(id[k]);
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    const std::string& s = id_to_token_[id];
    if (is_added_[id]) {
      if (!(skip_special && is_special_[id])) out += s;
      continue;
    }
    size_t i = 0;
    while (i < s.size()) {
      size_t len = ValidUtf8Length(s, i);
      if (len == 0) {  // not reachable for a validated vocab; keep the byte
        out.push_back(s[i++]);
        continue;
      }
      uint32_t cp = DecodeUtf8(s, i, len);
      int b = CodepointToByte(cp);
      if (b >= 0) {
        out.push_back(static_cast<char>(b));
      } else {
        out.append(s, i, len);
      }
      i += len;
    }
  }
  return out;
}

}  // namespace rl::tokenizer
