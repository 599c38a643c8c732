#include "rewards/code/output_checker.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

namespace rl::rewards::code {
namespace {

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    std::string_view line =
        s.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// Canonical decimal integer ("-0012" → "-12", "+5" → "5", "-0" → "0") or nullopt.
std::optional<std::string> CanonicalInteger(std::string_view t) {
  bool neg = false;
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
  if (i == t.size()) return std::nullopt;
  for (size_t k = i; k < t.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(t[k]))) return std::nullopt;
  }
  while (i + 1 < t.size() && t[i] == '0') ++i;
  std::string digits(t.substr(i));
  if (digits == "0") neg = false;
  return neg ? "-" + digits : digits;
}

// A number written with digits only (sign, '.', exponent): nan/inf spellings are refused.
std::optional<double> Decimal(std::string_view t) {
  if (t.empty() || t.size() > 64) return std::nullopt;
  bool digit = false;
  for (char c : t) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E') {
      return std::nullopt;
    }
  }
  if (!digit) return std::nullopt;
  std::string s(t);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool TokenMatches(std::string_view e, std::string_view a, const CheckOptions& opt) {
  if (!opt.tolerance) return e == a;
  if (auto ei = CanonicalInteger(e)) {
    auto ai = CanonicalInteger(a);
    return ai && *ai == *ei;
  }
  if (auto ed = Decimal(e)) {
    auto ad = Decimal(a);
    if (!ad) return false;
    return std::fabs(*ad - *ed) <= std::max(opt.abs_tol, opt.rel_tol * std::fabs(*ed));
  }
  return e == a;
}

}  // namespace

bool OutputMatches(std::string_view expected, std::string_view actual, const CheckOptions& opt,
                   std::string* why) {
  auto el = Lines(expected), al = Lines(actual);
  if (el.size() != al.size()) {
    if (why)
      *why = "expected " + std::to_string(el.size()) + " lines, got " + std::to_string(al.size());
    return false;
  }
  for (size_t i = 0; i < el.size(); ++i) {
    auto et = Tokens(el[i]), at = Tokens(al[i]);
    if (et.size() != at.size()) {
      if (why)
        *why =
            "line " + std::to_string(i + 1) + ": expected " + std::to_string(et.size()) + " tokens";
      return false;
    }
    for (size_t k = 0; k < et.size(); ++k) {
      if (!TokenMatches(et[k], at[k], opt)) {
        if (why)
          *why = "line " + std::to_string(i + 1) + " token " + std::to_string(k + 1) + " differs";
        return false;
      }
    }
  }
  return true;
}

}  // namespace rl::rewards::code
