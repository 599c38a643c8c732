#include "rewards/math/extract.h"

#include <algorithm>
#include <cctype>

namespace rl::rewards::math {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads a {…} group starting at text[pos] == '{'. Returns the end index (one past '}') or
// npos when unbalanced, too deep or too long.
size_t MatchBraces(std::string_view text, size_t pos, const ExtractOptions& opt, bool* too_big) {
  int depth = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '{' || text[i + 1] == '}')) {
      ++i;  // an escaped brace is content
      continue;
    }
    if (c == '{') {
      if (++depth > opt.max_depth) {
        *too_big = true;
        return std::string_view::npos;
      }
    } else if (c == '}') {
      if (--depth == 0) return i + 1;
    }
    if (i - pos > opt.max_answer_chars + 2) {
      *too_big = true;
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

std::string_view AfterThink(std::string_view text) {
  size_t p = text.rfind("</think>");
  return p == std::string_view::npos ? text : text.substr(p + 8);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The phrase "answer is …" / "final answer: …" / "#### …": the rest of its line, with a
// sentence-final period removed.
bool ExtractPhrase(std::string_view text, const ExtractOptions& opt, Extraction* out) {
  // Searching a lowered copy is linear; responses are already size-bounded by the caller.
  std::string low = Lower(text);
  struct Pattern {
    const char* phrase;
    const char* method;
  };
  static const Pattern kPatterns[] = {{"final answer is", "answer_is"},
                                      {"final answer:", "answer_is"},
                                      {"answer is", "answer_is"},
                                      {"answer:", "answer_is"},
                                      {"####", "hash"}};
  size_t best = std::string::npos, best_len = 0;
  const char* method = nullptr;
  for (const auto& p : kPatterns) {
    size_t at = low.rfind(p.phrase);
    if (at != std::string::npos && (best == std::string::npos || at > best)) {
      best = at;
      best_len = std::string_view(p.phrase).size();
      method = p.method;
    }
  }
  if (best == std::string::npos) return false;
  std::string_view rest = text.substr(best + best_len);
  size_t eol = rest.find('\n');
  if (eol != std::string_view::npos) rest = rest.substr(0, eol);
  rest = Trim(rest);
  while (!rest.empty() && (rest.front() == ':' || rest.front() == ' ')) rest.remove_prefix(1);
  // A sentence-final period ("is 5." / "is $5$.") is punctuation, not a decimal point.
  for (size_t i = 0; i + 1 < rest.size(); ++i) {
    if (rest[i] == '.' && rest[i + 1] == ' ') {
      rest = rest.substr(0, i);
      break;
    }
  }
  rest = Trim(rest);
  if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
  rest = Trim(rest);
  if (rest.empty()) return false;
  if (rest.size() > opt.max_answer_chars) {
    out->truncated = true;
    return false;
  }
  out->answers.emplace_back(rest);
  out->method = method;
  return true;
}

bool ExtractLastNumber(std::string_view text, Extraction* out) {
  // Scan backwards for the last digit, then grow the number: digits, one '.', ',' groups,
  // a leading '-', and a "/digits" fraction.
  size_t end = text.size();
  while (end > 0 && !std::isdigit(static_cast<unsigned char>(text[end - 1]))) --end;
  if (end == 0) return false;
  size_t begin = end;
  auto digit = [&](size_t i) { return std::isdigit(static_cast<unsigned char>(text[i])) != 0; };
  while (begin > 0 && (digit(begin - 1) || ((text[begin - 1] == '.' || text[begin - 1] == ',' ||
                                             text[begin - 1] == '/') &&
                                            begin >= 2 && digit(begin - 2)))) {
    --begin;
  }
  if (begin > 0 && text[begin - 1] == '-') --begin;
  out->answers.emplace_back(text.substr(begin, end - begin));
  out->method = "last_number";
  return true;
}

}  // namespace

std::vector<std::string> ExtractBoxed(std::string_view text, const ExtractOptions& opt,
                                      bool* truncated) {
  std::vector<std::string> out;
  bool too_big = false;
  size_t pos = 0;
  while (true) {
    size_t b = text.find("\\boxed", pos);
    size_t f = text.find("\\fbox", pos);
    size_t at = std::min(b, f);
    if (at == std::string_view::npos) break;
    size_t p = at + (at == b ? 6 : 5);
    while (p < text.size() && text[p] == ' ') ++p;
    if (p < text.size() && text[p] == '{') {
      size_t end = MatchBraces(text, p, opt, &too_big);
      if (end == std::string_view::npos) {
        pos = p + 1;
        continue;
      }
      std::string_view inner = Trim(text.substr(p + 1, end - p - 2));
      if (!inner.empty()) out.emplace_back(inner);
      pos = end;
    } else if (at == b && p > at + 6) {
      // "\boxed 5": the next token up to a space, '$' or end.
      size_t e = p;
      while (e < text.size() && text[e] != ' ' && text[e] != '$' && text[e] != '\n') ++e;
      if (e > p && e - p <= opt.max_answer_chars) out.emplace_back(text.substr(p, e - p));
      pos = e;
    } else {
      pos = p;
    }
  }
  if (truncated) *truncated = too_big;
  return out;
}

Extraction ExtractFinalAnswer(std::string_view text, const ExtractOptions& opt) {
  Extraction ex;
  text = AfterThink(text);
  ex.answers = ExtractBoxed(text, opt, &ex.truncated);
  if (!ex.answers.empty()) {
    ex.method = "boxed";
    return ex;
  }
  if (ExtractPhrase(text, opt, &ex)) return ex;
  // A final answer was given but exceeds the bounds: judged as given, never replaced by a
  // stray number from elsewhere in the text.
  if (ex.truncated) {
    ex.method = "too_large";
    return ex;
  }
  if (opt.last_number_fallback && ExtractLastNumber(text, &ex)) return ex;
  ex.method = "none";
  return ex;
}

Extraction ExtractReference(std::string_view reference, const ExtractOptions& opt) {
  ExtractOptions o = opt;
  o.last_number_fallback = false;
  o.max_answer_chars = std::max<size_t>(opt.max_answer_chars, 4096);
  Extraction ex = ExtractFinalAnswer(reference, o);
  if (ex.answers.empty()) {
    ex.answers.emplace_back(Trim(reference));
    ex.method = "whole";
  }
  return ex;
}

}  // namespace rl::rewards::math
