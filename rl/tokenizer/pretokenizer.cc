#define PCRE2_CODE_UNIT_WIDTH 8
#include "rl/tokenizer/pretokenizer.h"

#include <pcre2.h>

#include <nlohmann/json.hpp>

#include "rl/tokenizer/byte_level.h"

namespace rl::tokenizer {

using json = nlohmann::json;

void Regex::Deleter::operator()(void* code) const { pcre2_code_free(static_cast<pcre2_code*>(code)); }

StatusOr<Regex> Regex::Compile(std::string_view pattern, bool literal) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  // PCRE2_LITERAL admits UTF but not UCP (nothing to classify in a literal).
  uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &err, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    return absl::InvalidArgumentError("regex '" + std::string(pattern) + "' at offset " +
                                      std::to_string(offset) + ": " + reinterpret_cast<char*>(buf));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional speed-up; falls back silently
  Regex r;
  r.code_.reset(code);
  return r;
}

void Regex::FindAll(std::string_view subject, std::vector<std::pair<size_t, size_t>>* out) const {
  auto* code = static_cast<pcre2_code*>(code_.get());
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> md(
      pcre2_match_data_create_from_pattern(code, nullptr), pcre2_match_data_free);
  size_t start = 0;
  const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  while (start <= subject.size()) {
    // The subject was checked once by the caller (valid UTF-8), so skip PCRE2's re-check.
    int rc = pcre2_match(code, s, subject.size(), start, PCRE2_NO_UTF_CHECK, md.get(), nullptr);
    if (rc < 0) break;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    size_t b = ov[0], e = ov[1];
    if (e > b) {
      out->emplace_back(b, e);
      start = e;
    } else {
      if (b >= subject.size()) break;
      size_t len = ValidUtf8Length(subject, b);
      start = b + (len ? len : 1);
    }
  }
}

Status PreTokenizer::AddSpec(const json& spec, const std::string& where) {
  if (spec.is_null()) return absl::OkStatus();
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    return absl::InvalidArgumentError(where + ": must be an object with a string 'type'");
  }
  const std::string type = spec["type"].get<std::string>();
  if (type == "Sequence") {
    if (!spec.contains("pretokenizers") || !spec["pretokenizers"].is_array()) {
      return absl::InvalidArgumentError(where + ": Sequence needs a 'pretokenizers' list");
    }
    for (size_t i = 0; i < spec["pretokenizers"].size(); ++i) {
      RL_RETURN_IF_ERROR(AddSpec(spec["pretokenizers"][i], where + ".pretokenizers[" + std::to_string(i) + "]"));
    }
    return absl::OkStatus();
  }
  if (type == "ByteLevel") {
    bool prefix = spec.value("add_prefix_space", false);
    bool use_regex = spec.value("use_regex", true);
    if (prefix) steps_.push_back({Step::Kind::kPrefixSpace, nullptr});
    if (use_regex) {
      RL_ASSIGN_OR_RETURN(Regex r, Regex::Compile(kGpt2SplitPattern));
      steps_.push_back({Step::Kind::kIsolated, std::make_shared<const Regex>(std::move(r))});
    }
    return absl::OkStatus();
  }
  if (type == "Split") {
    const json& pat = spec.value("pattern", json());
    std::string text;
    bool literal;
    if (pat.is_object() && pat.contains("Regex") && pat["Regex"].is_string()) {
      text = pat["Regex"].get<std::string>();
      literal = false;
    } else if (pat.is_object() && pat.contains("String") && pat["String"].is_string()) {
      text = pat["String"].get<std::string>();
      literal = true;
    } else {
      return absl::InvalidArgumentError(where + ".pattern: must be {\"Regex\": …} or {\"String\": …}");
    }
    if (spec.value("invert", false)) {
      return absl::InvalidArgumentError(where + ": Split with invert = true is not supported");
    }
    const std::string behavior = spec.value("behavior", std::string("Isolated"));
    Step::Kind kind;
    if (behavior == "Isolated") {
      kind = Step::Kind::kIsolated;
    } else if (behavior == "Removed") {
      kind = Step::Kind::kRemoved;
    } else {
      return absl::InvalidArgumentError(where + ".behavior: '" + behavior +
                                        "' is not supported (Isolated or Removed)");
    }
    auto r = Regex::Compile(text, literal);
    if (!r.ok()) return absl::InvalidArgumentError(where + ".pattern: " + std::string(r.status().message()));
    steps_.push_back({kind, std::make_shared<const Regex>(std::move(*r))});
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(where + ": pre-tokenizer type '" + type +
                                    "' is not supported (ByteLevel, Split, Sequence)");
}

StatusOr<PreTokenizer> PreTokenizer::FromJson(const json& spec, const std::string& where) {
  PreTokenizer p;
  RL_RETURN_IF_ERROR(p.AddSpec(spec, where));
  return p;
}

void PreTokenizer::Split(std::string_view text, std::vector<std::string>* out) const {
  std::vector<std::string> pieces = {std::string(text)};
  std::vector<std::string> next;
  std::vector<std::pair<size_t, size_t>> matches;
  for (const Step& step : steps_) {
    next.clear();
    for (std::string& piece : pieces) {
      if (step.kind == Step::Kind::kPrefixSpace) {
        next.push_back(!piece.empty() && piece[0] == ' ' ? std::move(piece) : " " + piece);
        continue;
      }
      matches.clear();
      step.regex->FindAll(piece, &matches);
      size_t pos = 0;
      for (auto [b, e] : matches) {
        if (b > pos) next.push_back(piece.substr(pos, b - pos));
        if (step.kind == Step::Kind::kIsolated) next.push_back(piece.substr(b, e - b));
        pos = e;
      }
      if (pos < piece.size()) next.push_back(piece.substr(pos));
    }
    pieces.swap(next);
  }
  for (auto& p : pieces) {
    if (!p.empty()) out->push_back(std::move(p));
  }
}

}  // namespace rl::tokenizer
