#include "rewards/genrm/verdict.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <vector>

namespace rl::rewards::genrm {
namespace {

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

// Calls fn(name, begin, end) for every `{name}` in tmpl, in order.
template <class Fn>
void ForEachPlaceholder(std::string_view tmpl, Fn fn) {
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '{') continue;
    size_t j = i + 1;
    while (j < tmpl.size() && IsNameChar(tmpl[j])) ++j;
    if (j > i + 1 && j < tmpl.size() && tmpl[j] == '}') {
      fn(std::string(tmpl.substr(i + 1, j - i - 1)), i, j + 1);
      i = j;
    }
  }
}

// Unicode minus / dashes → '-', markdown emphasis and backticks dropped.
std::string Normalize(std::string_view in) {
  std::string s(in);
  for (const char* dash : {"\xE2\x88\x92", "\xE2\x80\x93", "\xE2\x80\x94"}) {
    for (size_t p; (p = s.find(dash)) != std::string::npos;) s.replace(p, 3, "-");
  }
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '*' || c == '`'; }), s.end());
  return s;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view LastNonEmptyLine(std::string_view s) {
  s = Trim(s);
  size_t nl = s.rfind('\n');
  return Trim(nl == std::string_view::npos ? s : s.substr(nl + 1));
}

// The first ~200 bytes, cut at a UTF-8 character boundary, newlines as spaces.
std::string Quote(std::string_view s) {
  size_t n = std::min<size_t>(s.size(), 200);
  while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  std::string out = "\"";
  for (char c : s.substr(0, n)) out += c == '\n' ? ' ' : c;
  out += n < s.size() ? "…\"" : "\"";
  return out;
}

constexpr auto kFlags = std::regex::ECMAScript | std::regex::icase;

// A value token: a signed number, or (pairwise) a verdict word.
struct Mode {
  std::string value;                  // regex of one captured value
  std::string strict;                 // regex of the strict final line (one capture)
  std::vector<std::string> patterns;  // each with exactly one capture
};

const Mode& GradeMode() {
  static const Mode m = [] {
    const std::string n = "([+-]?\\d+(?:\\.\\d+)?)";
    return Mode{
        n,
        "^score\\s*:\\s*" + n + "\\s*\\.?$",
        {"(?:score|rating|grade)\\s*(?:[:=]|\\s(?:is|of))\\s*" + n, "\\[\\[\\s*" + n + "\\s*\\]\\]",
         n + "\\s*/\\s*5(?!\\d|\\.\\d)", n + "\\s+out\\s+of\\s+5(?!\\d|\\.\\d)",
         "<score>\\s*" + n + "\\s*</score>", "^\\s*" + n + "\\s*\\.?\\s*$"}};
  }();
  return m;
}

const Mode& PairwiseMode() {
  static const Mode m = [] {
    const std::string v = "([+-]?\\d+(?:\\.\\d+)?|better|worse|equal|tie|same)";
    return Mode{v,
                "^verdict\\s*:\\s*" + v + "\\s*\\.?$",
                {"verdict\\s*(?:[:=]|\\sis)\\s*" + v, "\\[\\[\\s*" + v + "\\s*\\]\\]",
                 "\\b(?:response\\s+)?([ab])\\s+is\\s+better\\b", "^\\s*" + v + "\\s*\\.?\\s*$"}};
  }();
  return m;
}

// A captured token → integer value, or an error message.
StatusOr<int> TokenValue(std::string tok, bool pairwise) {
  std::transform(tok.begin(), tok.end(), tok.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (pairwise) {
    if (tok == "better" || tok == "a") return 1;
    if (tok == "worse" || tok == "b") return -1;
    if (tok == "equal" || tok == "tie" || tok == "same") return 0;
  }
  if (tok.find('.') != std::string::npos) {
    return absl::InvalidArgumentError("non-integer score " + tok);
  }
  if (tok.size() > 4) return absl::InvalidArgumentError("score " + tok + " out of range");
  const int v = std::stoi(tok);
  const int lo = pairwise ? -1 : 1, hi = pairwise ? 1 : 5;
  if (v < lo || v > hi) {
    return absl::InvalidArgumentError("score " + tok + " out of range [" + std::to_string(lo) +
                                      ", " + std::to_string(hi) + "]");
  }
  return v;
}

StatusOr<int> Parse(std::string_view raw, bool pairwise) {
  const std::string text = Normalize(raw);
  const std::string where = pairwise ? "pairwise verdict " : "grade verdict ";
  if (Trim(text).empty()) return absl::InvalidArgumentError(where + "is empty");
  auto fail = [&](const Status& st) {
    return absl::InvalidArgumentError(where + Quote(raw) + ": " + std::string(st.message()));
  };
  // 1. The strict final line wins.
  {
    static const std::regex strict_grade(GradeMode().strict, kFlags);
    static const std::regex strict_pair(PairwiseMode().strict, kFlags);
    const std::string last(LastNonEmptyLine(text));
    std::smatch m;
    if (std::regex_match(last, m, pairwise ? strict_pair : strict_grade)) {
      auto v = TokenValue(m[1].str(), pairwise);
      if (!v.ok()) return fail(v.status());
      return v;
    }
  }
  // 2. Every recognised form anywhere; all must agree, none may be hedged.
  static const std::regex hedge("^\\s*(?:or|to|and|-)\\s*(?:[+-]?\\d|better|worse|equal|tie|same)",
                                kFlags);
  static const std::vector<std::regex> grade_res = [] {
    std::vector<std::regex> r;
    for (const auto& p : GradeMode().patterns) r.emplace_back(p, kFlags);
    return r;
  }();
  static const std::vector<std::regex> pair_res = [] {
    std::vector<std::regex> r;
    for (const auto& p : PairwiseMode().patterns) r.emplace_back(p, kFlags);
    return r;
  }();
  std::set<int> values;
  for (const std::regex& re : pairwise ? pair_res : grade_res) {
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it) {
      const std::smatch& m = *it;
      const std::string after = text.substr(static_cast<size_t>(m.position(0) + m.length(0)));
      if (std::regex_search(after, hedge, std::regex_constants::match_continuous)) {
        return fail(absl::InvalidArgumentError("hedged score (\"" + m.str(0) + " …\")"));
      }
      auto v = TokenValue(m[1].str(), pairwise);
      if (!v.ok()) return fail(v.status());
      values.insert(*v);
    }
  }
  if (values.empty()) return fail(absl::InvalidArgumentError("no score found"));
  if (values.size() > 1) {
    std::string list;
    for (int v : values) list += (list.empty() ? "" : ", ") + std::to_string(v);
    return fail(absl::InvalidArgumentError("conflicting scores {" + list + "}"));
  }
  return *values.begin();
}

}  // namespace

StatusOr<std::string> FillTemplate(std::string_view tmpl,
                                   const std::map<std::string, std::string>& values,
                                   std::string_view where) {
  std::string out;
  size_t pos = 0;
  Status st;
  ForEachPlaceholder(tmpl, [&](const std::string& name, size_t b, size_t e) {
    if (!st.ok()) return;
    auto it = values.find(name);
    if (it == values.end()) {
      st = absl::InvalidArgumentError(std::string(where) + ": unknown placeholder {" + name + "}");
      return;
    }
    out.append(tmpl.substr(pos, b - pos));
    out += it->second;
    pos = e;
  });
  RL_RETURN_IF_ERROR(st);
  out.append(tmpl.substr(pos));
  return out;
}

Status CheckTemplate(std::string_view tmpl, const std::vector<std::string>& allowed,
                     const std::vector<std::string>& required, std::string_view where) {
  std::set<std::string> seen;
  Status st;
  ForEachPlaceholder(tmpl, [&](const std::string& name, size_t, size_t) {
    seen.insert(name);
    if (st.ok() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "{" : ", {") + a + "}";
      st = absl::InvalidArgumentError(std::string(where) + ": unknown placeholder {" + name +
                                      "} (known: " + known + ")");
    }
  });
  RL_RETURN_IF_ERROR(st);
  for (const auto& r : required) {
    if (!seen.count(r)) {
      return absl::InvalidArgumentError(std::string(where) + ": missing placeholder {" + r + "}");
    }
  }
  return absl::OkStatus();
}

StatusOr<int> ParseGradeVerdict(std::string_view text) { return Parse(text, false); }
StatusOr<int> ParsePairwiseVerdict(std::string_view text) { return Parse(text, true); }

}  // namespace rl::rewards::genrm
