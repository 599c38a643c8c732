// Exact rationals over bounded 128-bit integers. Every operation reports overflow instead
// of wrapping: the math verifier treats an overflow as "cannot decide exactly" and never
// as equality, so 10^18 and 10^18+1 stay distinct and 9^{9^{9^9}} fails fast. Values are
// always reduced with a positive denominator. Plain value type; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rl::rewards::math {

using Int128 = __int128;

class Rational {
 public:
  Rational() = default;
  explicit Rational(Int128 n) : num_(n), den_(1) {}
  // nullopt when den == 0 or the reduction overflows (den = INT128_MIN).
  static std::optional<Rational> Make(Int128 num, Int128 den);
  // Parses "123", "-4.50", "0.125" exactly; nullopt on other text or overflow.
  static std::optional<Rational> ParseDecimal(std::string_view text);

  Int128 num() const { return num_; }
  Int128 den() const { return den_; }
  bool is_integer() const { return den_ == 1; }
  double ToDouble() const;
  std::string ToString() const;

  friend bool operator==(const Rational& a, const Rational& b) {
    return a.num_ == b.num_ && a.den_ == b.den_;
  }

 private:
  Int128 num_ = 0;
  Int128 den_ = 1;
};

std::optional<Rational> Add(const Rational& a, const Rational& b);
std::optional<Rational> Sub(const Rational& a, const Rational& b);
std::optional<Rational> Mul(const Rational& a, const Rational& b);
std::optional<Rational> Div(const Rational& a, const Rational& b);
// a^e for an integer e with |e| <= max_exponent; nullopt on overflow or 0^negative.
std::optional<Rational> Pow(const Rational& a, long long e, long long max_exponent = 4096);
// Exact square root of a perfect-square rational (or nth root), else nullopt.
std::optional<Rational> Root(const Rational& a, long long n);

}  // namespace rl::rewards::math
