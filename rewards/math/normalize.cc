// NormalizeAnswer (declared in expr.h): string-level rewriting before parsing.
#include <array>
#include <cctype>
#include <set>

#include "rewards/math/expr.h"

namespace rl::rewards::math {
namespace {

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

// Replaces a LaTeX command `\name` only when it is not the prefix of a longer command
// (\le must not eat \left).
void ReplaceCommand(std::string& s, std::string_view name, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(name, pos)) != std::string::npos) {
    size_t end = pos + name.size();
    if (end < s.size() && std::isalpha(static_cast<unsigned char>(s[end]))) {
      pos = end;
      continue;
    }
    s.replace(pos, name.size(), to);
    pos += to.size();
  }
}

bool IsWordChar(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// \text{X}-like wrappers: "or"/"and" become list commas, everything else keeps its words
// (units are dropped later by StripUnitWords).
void UnwrapTextCommands(std::string& s) {
  static const std::array<std::string_view, 8> kWrappers = {
      "\\text", "\\textbf", "\\textrm",       "\\mathrm",
      "\\mbox", "\\mathbf", "\\operatorname", "\\textit"};
  for (std::string_view w : kWrappers) {
    size_t pos = 0;
    while ((pos = s.find(w, pos)) != std::string::npos) {
      size_t open = pos + w.size();
      if (open >= s.size() || s[open] != '{') {
        pos = open;
        continue;
      }
      size_t close = s.find('}', open);
      if (close == std::string::npos) break;
      std::string inner = s.substr(open + 1, close - open - 1);
      std::string trimmed = inner;
      while (!trimmed.empty() && trimmed.front() == ' ') trimmed.erase(trimmed.begin());
      while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
      std::string rep = (trimmed == "or" || trimmed == "and") ? " , " : " " + inner + " ";
      s.replace(pos, close + 1 - pos, rep);
      pos += rep.size();
    }
  }
}

// Words of two or more letters standing alone (preceded by a space) after a digit are
// units ("5 cm", "10 dollars"); "or"/"and" between values are list commas.
void StripUnitWords(std::string& s) {
  static const std::set<std::string> kKeep = {"sqrt", "sin", "cos", "tan", "log",  "ln",
                                              "exp",  "pi",  "abs", "cup", "infty"};
  bool has_digit = false;
  for (char c : s) has_digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    bool word_start = IsWordChar(s[i]) && (i == 0 || s[i - 1] == ' ');
    if (word_start) {
      size_t j = i;
      while (j < s.size() && IsWordChar(s[j])) ++j;
      std::string word = s.substr(i, j - i);
      bool standalone = j == s.size() || !std::isalnum(static_cast<unsigned char>(s[j]));
      if (standalone && (word == "or" || word == "and")) {
        out += ",";
        i = j;
        continue;
      }
      if (standalone && has_digit && word.size() >= 2 && !kKeep.count(word) && i > 0) {
        i = j;
        continue;
      }
      out += word;
      i = j;
      continue;
    }
    out += s[i++];
  }
  s = out;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "1,234,567.5" (a whole answer) → "1234567.5".
bool IsThousandsNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  size_t first = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == first || i - first > 3) return false;
  int groups = 0;
  while (i < s.size() && s[i] == ',') {
    for (int k = 1; k <= 3; ++k) {
      if (i + k >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i + k]))) return false;
    }
    i += 4;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t d = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == d) return false;
  }
  return i == s.size();
}

// "12 345" (a thin-space thousands separator) → "12345": a space between a digit and a
// group of exactly three digits.
void JoinDigitGroups(std::string& s) {
  auto digit = [&](size_t i) {
    return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
  };
  for (size_t i = 1; i + 3 < s.size() + 0; ++i) {
    if (s[i] == ' ' && digit(i - 1) && digit(i + 1) && digit(i + 2) && digit(i + 3) &&
        !digit(i + 4)) {
      s.erase(i, 1);
    }
  }
}

}  // namespace

StatusOr<std::string> NormalizeAnswer(std::string_view raw) {
  if (raw.size() > 4 * kMaxAnswerChars) {
    return absl::InvalidArgumentError("answer too long (" + std::to_string(raw.size()) +
                                      " chars, limit " + std::to_string(4 * kMaxAnswerChars) + ")");
  }
  std::string s(raw);
  // Unicode spellings first.
  ReplaceAll(s, "\xe2\x88\x92", "-");         // −
  ReplaceAll(s, "\xc3\x97", "*");             // ×
  ReplaceAll(s, "\xc2\xb7", "*");             // ·
  ReplaceAll(s, "\xcf\x80", "\\pi ");         // π
  ReplaceAll(s, "\xe2\x88\x9e", "\\infty ");  // ∞
  ReplaceAll(s, "\xe2\x88\x9a", "\\sqrt");    // √
  ReplaceAll(s, "\xc2\xb0", "");              // °
  ReplaceAll(s, "\xe2\x88\xaa", "\\cup ");    // ∪
  for (std::string_view d : {"\\(", "\\)", "\\[", "\\]"}) ReplaceAll(s, d, " ");
  ReplaceAll(s, "$", " ");
  for (std::string_view c : {"\\displaystyle", "\\textstyle", "\\bigl", "\\bigr", "\\Bigl",
                             "\\Bigr", "\\big", "\\Big", "\\quad", "\\qquad"}) {
    ReplaceCommand(s, c, " ");
  }
  ReplaceAll(s, "\\left.", " ");
  ReplaceAll(s, "\\right.", " ");
  ReplaceCommand(s, "\\left", " ");
  ReplaceCommand(s, "\\right", " ");
  for (std::string_view c : {"\\!", "\\,", "\\;", "\\:", "\\ ", "~"}) ReplaceAll(s, c, " ");
  ReplaceAll(s, "{,}", "");
  ReplaceCommand(s, "\\dfrac", "\\frac");
  ReplaceCommand(s, "\\tfrac", "\\frac");
  ReplaceCommand(s, "\\cdot", "*");
  ReplaceCommand(s, "\\times", "*");
  ReplaceCommand(s, "\\ast", "*");
  ReplaceCommand(s, "\\div", "/");
  for (std::string_view c : {"^{\\circ}", "^\\circ", "^{\\degree}", "\\degree", "\\circ"}) {
    ReplaceAll(s, c, "");
  }
  ReplaceAll(s, "\\%", "");
  ReplaceAll(s, "%", "");
  ReplaceAll(s, "\\$", "");
  ReplaceAll(s, "\\{", "{");
  ReplaceAll(s, "\\}", "}");
  UnwrapTextCommands(s);
  s = CollapseSpaces(s);
  StripUnitWords(s);
  s = CollapseSpaces(s);
  JoinDigitGroups(s);
  // "degrees"/"units" words inside \text were handled above; a lone letter choice "(B)".
  if (s.size() == 3 && s[0] == '(' && s[2] == ')' &&
      std::isalpha(static_cast<unsigned char>(s[1]))) {
    s = s.substr(1, 1);
  }
  std::string compact;
  for (char c : s) {
    if (c != ' ') compact += c;
  }
  if (IsThousandsNumber(compact)) {
    std::string digits;
    for (char c : compact) {
      if (c != ',') digits += c;
    }
    s = digits;
  }
  // A trailing full stop ("5.") is punctuation.
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
  if (s.size() > kMaxAnswerChars) {
    return absl::InvalidArgumentError("answer too long after normalisation");
  }
  return s;
}

}  // namespace rl::rewards::math
