// Final-answer extraction from a model response or a worked reference solution.
// Order: every \boxed{…} / \boxed … / \fbox{…} (nested braces, bounded depth); else the
// last "the answer is …" / "final answer: …" / "#### …"; else (when enabled) the last
// number in the text. Only the text after the last </think> is searched when the response
// has one. Bounded: a brace nest deeper than max_depth or an answer longer than
// max_answer_chars is dropped (reported in `truncated`), never followed. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rl::rewards::math {

struct ExtractOptions {
  bool last_number_fallback = true;
  int max_depth = 64;
  size_t max_answer_chars = 1000;
};

struct Extraction {
  std::vector<std::string> answers;  // in order of appearance; several only for \boxed
  std::string method;                // "boxed", "answer_is", "hash", "last_number", "none"
  bool truncated = false;            // some candidate exceeded a bound and was dropped
};

// The contents of every \boxed{…}, \boxed X, \fbox{…} in text.
std::vector<std::string> ExtractBoxed(std::string_view text, const ExtractOptions& opt,
                                      bool* truncated = nullptr);

Extraction ExtractFinalAnswer(std::string_view text, const ExtractOptions& opt);

// The reference's answer: extracted like a response (without the last-number fallback);
// when nothing is found the whole reference (trimmed) is the answer.
Extraction ExtractReference(std::string_view reference, const ExtractOptions& opt);

}  // namespace rl::rewards::math
