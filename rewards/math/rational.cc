#include "rewards/math/rational.h"

#include <cmath>
#include <limits>

namespace rl::rewards::math {
namespace {

constexpr Int128 kMin = static_cast<Int128>(static_cast<unsigned __int128>(1) << 127);

Int128 Abs(Int128 x) { return x < 0 ? -x : x; }

Int128 Gcd(Int128 a, Int128 b) {
  a = Abs(a);
  b = Abs(b);
  while (b != 0) {
    Int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

bool MulOv(Int128 a, Int128 b, Int128* out) { return __builtin_mul_overflow(a, b, out); }
bool AddOv(Int128 a, Int128 b, Int128* out) { return __builtin_add_overflow(a, b, out); }

// Integer nth root if exact, for x >= 0.
std::optional<Int128> ExactRoot(Int128 x, long long n) {
  if (x < 0) return std::nullopt;
  if (x < 2) return x;
  long double guess = std::pow(static_cast<long double>(x), 1.0L / static_cast<long double>(n));
  Int128 g = static_cast<Int128>(std::llround(guess));
  for (Int128 c = (g > 2 ? g - 2 : 0); c <= g + 2; ++c) {
    Int128 p = 1;
    bool ov = false;
    for (long long i = 0; i < n && !ov; ++i) ov = MulOv(p, c, &p);
    if (!ov && p == x) return c;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Rational> Rational::Make(Int128 num, Int128 den) {
  if (den == 0 || num == kMin || den == kMin) return std::nullopt;
  if (den < 0) {
    num = -num;
    den = -den;
  }
  Int128 g = Gcd(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  Rational r;
  r.num_ = num;
  r.den_ = den;
  return r;
}

std::optional<Rational> Rational::ParseDecimal(std::string_view s) {
  bool neg = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  Int128 num = 0, den = 1;
  bool any = false, dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    any = true;
    if (MulOv(num, 10, &num) || AddOv(num, c - '0', &num)) return std::nullopt;
    if (dot && MulOv(den, 10, &den)) return std::nullopt;
  }
  if (!any) return std::nullopt;
  return Make(neg ? -num : num, den);
}

double Rational::ToDouble() const {
  return static_cast<double>(static_cast<long double>(num_) / static_cast<long double>(den_));
}

std::string Rational::ToString() const {
  auto str = [](Int128 v) {
    if (v == 0) return std::string("0");
    bool neg = v < 0;
    unsigned __int128 u = neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : v;
    std::string s;
    while (u > 0) {
      s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
      u /= 10;
    }
    return neg ? "-" + s : s;
  };
  return den_ == 1 ? str(num_) : str(num_) + "/" + str(den_);
}

std::optional<Rational> Add(const Rational& a, const Rational& b) {
  Int128 x, y, d, n;
  if (MulOv(a.num(), b.den(), &x) || MulOv(b.num(), a.den(), &y) || AddOv(x, y, &n) ||
      MulOv(a.den(), b.den(), &d)) {
    return std::nullopt;
  }
  return Rational::Make(n, d);
}

std::optional<Rational> Sub(const Rational& a, const Rational& b) {
  auto nb = Rational::Make(-b.num(), b.den());
  if (!nb) return std::nullopt;
  return Add(a, *nb);
}

std::optional<Rational> Mul(const Rational& a, const Rational& b) {
  // Cross-reduce first to keep intermediates small.
  Int128 g1 = Gcd(a.num(), b.den()), g2 = Gcd(b.num(), a.den());
  if (g1 == 0) g1 = 1;
  if (g2 == 0) g2 = 1;
  Int128 n, d;
  if (MulOv(a.num() / g1, b.num() / g2, &n) || MulOv(a.den() / g2, b.den() / g1, &d)) {
    return std::nullopt;
  }
  return Rational::Make(n, d);
}

std::optional<Rational> Div(const Rational& a, const Rational& b) {
  if (b.num() == 0) return std::nullopt;
  auto inv = Rational::Make(b.den(), b.num());
  if (!inv) return std::nullopt;
  return Mul(a, *inv);
}

std::optional<Rational> Pow(const Rational& a, long long e, long long max_exponent) {
  if (e > max_exponent || e < -max_exponent) {
    // Only the trivial bases survive a huge exponent.
    if (a.num() == 0 && e > 0) return Rational(0);
    if (a == Rational(1)) return Rational(1);
    if (a == Rational(-1)) return Rational(e % 2 == 0 ? 1 : -1);
    return std::nullopt;
  }
  Rational base = a;
  if (e < 0) {
    if (a.num() == 0) return std::nullopt;
    auto inv = Rational::Make(a.den(), a.num());
    if (!inv) return std::nullopt;
    base = *inv;
    e = -e;
  }
  Rational result(1);
  while (e > 0) {
    if (e & 1) {
      auto r = Mul(result, base);
      if (!r) return std::nullopt;
      result = *r;
    }
    e >>= 1;
    if (e > 0) {
      auto b = Mul(base, base);
      if (!b) return std::nullopt;
      base = *b;
    }
  }
  return result;
}

std::optional<Rational> Root(const Rational& a, long long n) {
  if (n < 1 || n > 64) return std::nullopt;
  bool neg = a.num() < 0;
  if (neg && n % 2 == 0) return std::nullopt;
  auto rn = ExactRoot(neg ? -a.num() : a.num(), n);
  auto rd = ExactRoot(a.den(), n);
  if (!rn || !rd) return std::nullopt;
  return Rational::Make(neg ? -*rn : *rn, *rd);
}

}  // namespace rl::rewards::math
