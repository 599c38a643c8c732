// Comparison of a program's captured stdout with the expected output, done outside the
// sandbox on bytes the program cannot influence after the fact.
//  * Both texts are split into lines; trailing whitespace (spaces, tabs, \r) of each line and
//    trailing empty lines at the end are ignored; the line counts must then be equal.
//  * exact: each line's whitespace-separated tokens must be equal strings.
//  * tolerance: token counts must match; an expected token that is an integer must be matched
//    by the same integer exactly, of any length (10^18 ≠ 10^18+1; "+5"/"05" read as 5, "-0"
//    as 0); an expected token that is a finite decimal is matched by a finite number a with
//    |a − e| ≤ max(abs_tol, rel_tol·|e|) (defaults 1e-6 each); nan/inf never match a finite
//    expectation; any other token must be equal as a string.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rl::rewards::code {

struct CheckOptions {
  bool tolerance = false;
  double abs_tol = 1e-6;
  double rel_tol = 1e-6;
};

// True when `actual` matches `expected`; *why gets the first difference otherwise.
bool OutputMatches(std::string_view expected, std::string_view actual, const CheckOptions& opt,
                   std::string* why = nullptr);

}  // namespace rl::rewards::code
