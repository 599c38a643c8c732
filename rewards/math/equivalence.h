// Equivalence of two parsed answers (expr.h), the rules of the math verifier:
//  * identical normalised text is equal;
//  * numbers and fractions compare as exact rationals (128-bit; an overflow anywhere makes
//    the comparison fail — never a false "equal" from rounding: 10^18 ≠ 10^18+1);
//  * when either side has a decimal literal (0.333) the comparison is numeric with
//    relative tolerance `decimal_rel_tol` (default 1e-4); irrational closed forms
//    (\sqrt2, \pi) compare numerically at 1e-9;
//  * expressions in variables are evaluated at `points` seeded random points in [0.5, 3];
//    every point where both are finite must agree, at least 3 such points are required;
//  * tuples and intervals are ordered and their brackets must match ([1,2) ≠ (1,2));
//    sets ({…}, bare lists, unions of intervals) are unordered with equal sizes;
//  * equations: "x = 5" equals "5"; two equations are equal when lhs−rhs are proportional;
//  * unparsable answers compare as text (case-insensitive, spaces removed).
// Evaluation is bounded (exponents, factorials ≤ 170 numerically / 33 exactly, the deadline).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "rewards/math/expr.h"
#include "rewards/verifier.h"

namespace rl::rewards::math {

struct EquivOptions {
  double decimal_rel_tol = 1e-4;
  double symbolic_rel_tol = 1e-9;
  int points = 6;
  uint64_t seed = 12345;
  Clock::time_point deadline = Clock::time_point::max();
};

// True when resp is equivalent to ref; *why (optional) gets a short reason when not.
bool Equivalent(const Answer& ref, const Answer& resp, const EquivOptions& opt,
                std::string* why = nullptr);

}  // namespace rl::rewards::math
