// Answer normalisation and parsing for the math verifier.
//
// NormalizeAnswer rewrites LaTeX and plain-text answers into one canonical spelling:
// $…$, \( \), \left \right, \displaystyle and spacing commands go; \dfrac \tfrac → \frac;
// \cdot \times → *, \div → /; \text{units}, \mbox, \mathrm words, ^\circ, °, \%, %, \$,
// thousands separators (1,234,567 and 1{,}234) are removed; " or " becomes a list comma.
// ParseAnswer turns the result into a structure: an expression tree, a tuple (ordered), a
// set (unordered: {…} or a bare comma list), an interval ([a,b), (a,b], unions via \cup),
// or an equation a=b. Expression trees hold exact rational literals (decimal literals are
// flagged), single-letter variables, \pi, \infty, + - * / ^, !, \sqrt[n]{}, and a few
// functions (sin cos tan log ln exp abs).
// Bounds (verifier DoS): inputs longer than kMaxAnswerChars and nesting deeper than
// kMaxDepth are rejected with an error, never recursed into. Pure functions; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rewards/math/rational.h"
#include "rl/core/status.h"

namespace rl::rewards::math {

inline constexpr size_t kMaxAnswerChars = 1000;
inline constexpr int kMaxDepth = 400;  // parser recursion levels (~7 per bracket)

struct Node {
  enum class Op { kNum, kVar, kPi, kInf, kAdd, kSub, kMul, kDiv, kPow, kNeg, kRoot, kFunc, kFact };
  Op op = Op::kNum;
  Rational value;            // kNum
  bool decimal = false;      // kNum written with a non-zero fractional part ("0.25")
  std::string name;          // kVar: the variable; kFunc: sin, cos, …
  long long root_index = 2;  // kRoot
  std::vector<std::unique_ptr<Node>> kids;
};

struct Answer {
  enum class Kind { kExpr, kTuple, kSet, kInterval, kEquation, kText };
  Kind kind = Kind::kText;
  std::unique_ptr<Node> expr;  // kExpr; kEquation: expr = lhs, rhs = rhs
  std::unique_ptr<Node> rhs;
  std::vector<Answer> items;  // kTuple, kSet, kInterval (2 items)
  char open = 0, close = 0;   // brackets of a tuple/interval
  std::string text;           // the normalised text (all kinds)
};

StatusOr<std::string> NormalizeAnswer(std::string_view raw);
StatusOr<Answer> ParseAnswer(std::string_view normalized);
// Normalise then parse; a text that does not parse becomes Kind::kText (compared as text).
StatusOr<Answer> ReadAnswer(std::string_view raw);

// Parses one expression (used by tests and the puzzle verifiers).
StatusOr<std::unique_ptr<Node>> ParseExpression(std::string_view normalized);

}  // namespace rl::rewards::math
