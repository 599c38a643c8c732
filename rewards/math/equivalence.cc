#include "rewards/math/equivalence.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <random>
#include <set>

namespace rl::rewards::math {
namespace {

using Op = Node::Op;

struct Exact {
  std::optional<Rational> value;
  bool overflow = false;  // the value exists but does not fit: never "equal"
};

Exact ExactEval(const Node& n) {
  auto kid = [&](int i) { return ExactEval(*n.kids[i]); };
  auto fail = [](bool ov) { return Exact{std::nullopt, ov}; };
  switch (n.op) {
    case Op::kNum:
      return {n.value, false};
    case Op::kVar:
    case Op::kPi:
    case Op::kInf:
      return fail(false);
    case Op::kNeg: {
      Exact a = kid(0);
      if (!a.value) return a;
      return {Sub(Rational(0), *a.value), !Sub(Rational(0), *a.value)};
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv: {
      Exact a = kid(0), b = kid(1);
      if (!a.value || !b.value) return fail(a.overflow || b.overflow);
      std::optional<Rational> r;
      if (n.op == Op::kAdd) r = Add(*a.value, *b.value);
      if (n.op == Op::kSub) r = Sub(*a.value, *b.value);
      if (n.op == Op::kMul) r = Mul(*a.value, *b.value);
      if (n.op == Op::kDiv) {
        if (b.value->num() == 0) return fail(false);
        r = Div(*a.value, *b.value);
      }
      return {r, !r};
    }
    case Op::kPow: {
      Exact a = kid(0), b = kid(1);
      if (!a.value || !b.value) return fail(a.overflow || b.overflow);
      if (!b.value->is_integer()) {
        // x^{p/q} exact only for perfect powers.
        if (b.value->den() > 64 || b.value->num() > 4096 || b.value->num() < -4096)
          return fail(false);
        auto root = Root(*a.value, static_cast<long long>(b.value->den()));
        if (!root) return fail(false);
        auto r = Pow(*root, static_cast<long long>(b.value->num()));
        return {r, !r};
      }
      Int128 e = b.value->num();
      long long e64 = e > (Int128(1) << 62)    ? (1LL << 62)
                      : e < -(Int128(1) << 62) ? -(1LL << 62)
                                               : static_cast<long long>(e);
      auto r = Pow(*a.value, e64);
      return {r, !r && !(a.value->num() == 0 && e64 < 0)};
    }
    case Op::kRoot: {
      Exact a = kid(0);
      if (!a.value) return a;
      return {Root(*a.value, n.root_index), false};
    }
    case Op::kFact: {
      Exact a = kid(0);
      if (!a.value) return a;
      if (!a.value->is_integer() || a.value->num() < 0) return fail(false);
      if (a.value->num() > 33) return fail(true);
      Rational r(1);
      for (Int128 i = 2; i <= a.value->num(); ++i) r = *Mul(r, Rational(i));
      return {r, false};
    }
    case Op::kFunc: {
      if (n.name != "abs") return fail(false);
      Exact a = kid(0);
      if (!a.value) return a;
      return {a.value->num() < 0 ? Sub(Rational(0), *a.value) : a.value, false};
    }
  }
  return fail(false);
}

using Env = std::map<std::string, long double>;

long double NumEval(const Node& n, const Env& env) {
  auto k = [&](int i) { return NumEval(*n.kids[i], env); };
  switch (n.op) {
    case Op::kNum:
      return static_cast<long double>(n.value.num()) / static_cast<long double>(n.value.den());
    case Op::kVar: {
      auto it = env.find(n.name);
      return it == env.end() ? NAN : it->second;
    }
    case Op::kPi:
      return 3.141592653589793238462643383279502884L;
    case Op::kInf:
      return INFINITY;
    case Op::kNeg:
      return -k(0);
    case Op::kAdd:
      return k(0) + k(1);
    case Op::kSub:
      return k(0) - k(1);
    case Op::kMul:
      return k(0) * k(1);
    case Op::kDiv:
      return k(0) / k(1);
    case Op::kPow:
      return std::pow(k(0), k(1));
    case Op::kRoot: {
      long double x = k(0);
      if (x < 0 && n.root_index % 2 == 1) return -std::pow(-x, 1.0L / n.root_index);
      return std::pow(x, 1.0L / n.root_index);
    }
    case Op::kFact: {
      long double x = k(0);
      if (x < 0 || x != std::floor(x)) return NAN;
      if (x > 1754) return INFINITY;  // beyond long double's range; never computed
      return std::tgamma(x + 1);
    }
    case Op::kFunc: {
      long double x = k(0);
      if (n.name == "sin") return std::sin(x);
      if (n.name == "cos") return std::cos(x);
      if (n.name == "tan") return std::tan(x);
      if (n.name == "log" || n.name == "ln") return std::log(x);
      if (n.name == "exp") return std::exp(x);
      if (n.name == "abs") return std::fabs(x);
      return NAN;
    }
  }
  return NAN;
}

bool HasDecimal(const Node& n) {
  if (n.op == Op::kNum) return n.decimal;
  for (const auto& c : n.kids) {
    if (HasDecimal(*c)) return true;
  }
  return false;
}

void Vars(const Node& n, std::set<std::string>* out) {
  if (n.op == Op::kVar) out->insert(n.name);
  for (const auto& c : n.kids) Vars(*c, out);
}

// +1 / -1 for a literal ±∞, 0 otherwise.
int InfSign(const Node& n) {
  if (n.op == Op::kInf) return 1;
  if (n.op == Op::kNeg && n.kids[0]->op == Op::kInf) return -1;
  return 0;
}

bool Close(long double a, long double b, double rel) {
  if (!std::isfinite(a) || !std::isfinite(b)) return false;
  long double d = std::fabs(a - b);
  return d <= rel * std::max(std::fabs(a), std::fabs(b)) || d <= 1e-12L;
}

std::string CompactLower(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// f(point) for every seeded point, for two functions at once.
template <class F>
bool ForPoints(const std::set<std::string>& vars, const EquivOptions& opt, F&& f) {
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> dist(0.5, 3.0);
  for (int p = 0; p < opt.points; ++p) {
    if (Clock::now() > opt.deadline) return false;
    Env env;
    for (const auto& v : vars) env[v] = dist(rng);
    if (!f(env)) return false;
  }
  return true;
}

bool ExprEqual(const Node& a, const Node& b, const EquivOptions& opt, std::string* why) {
  int ia = InfSign(a), ib = InfSign(b);
  if (ia != 0 || ib != 0) {
    if (ia != ib && why) *why = "infinity mismatch";
    return ia == ib;
  }
  bool decimal = HasDecimal(a) || HasDecimal(b);
  double tol = decimal ? opt.decimal_rel_tol : opt.symbolic_rel_tol;
  Exact ea = ExactEval(a), eb = ExactEval(b);
  if (ea.overflow || eb.overflow) {
    if (why) *why = "value too large to compare exactly";
    return false;
  }
  if (ea.value && eb.value) {
    if (*ea.value == *eb.value) return true;
    if (!decimal) {
      if (why) *why = "different values " + ea.value->ToString() + " vs " + eb.value->ToString();
      return false;
    }
    if (Close(ea.value->ToDouble(), eb.value->ToDouble(), tol)) return true;
    if (why) *why = "decimal outside tolerance";
    return false;
  }
  std::set<std::string> vars;
  Vars(a, &vars);
  Vars(b, &vars);
  if (vars.empty()) {
    if (Close(NumEval(a, {}), NumEval(b, {}), tol)) return true;
    if (why) *why = "different numeric values";
    return false;
  }
  int agreeing = 0;
  bool ok = ForPoints(vars, opt, [&](const Env& env) {
    long double va = NumEval(a, env), vb = NumEval(b, env);
    bool fa = std::isfinite(va), fb = std::isfinite(vb);
    if (!fa && !fb) return true;
    if (fa != fb || !Close(va, vb, tol)) return false;
    ++agreeing;
    return true;
  });
  if (ok && agreeing >= 3) return true;
  if (why) *why = "expressions differ at a sample point";
  return false;
}

bool IsSingleVar(const Node& n) { return n.op == Op::kVar; }

// lhs1−rhs1 and lhs2−rhs2 proportional (a nonzero constant ratio) at every sample point.
bool EquationsEqual(const Answer& a, const Answer& b, const EquivOptions& opt, std::string* why) {
  if (IsSingleVar(*a.expr) && IsSingleVar(*b.expr) && a.expr->name == b.expr->name) {
    return ExprEqual(*a.rhs, *b.rhs, opt, why);
  }
  std::set<std::string> vars;
  for (const Node* n : {a.expr.get(), a.rhs.get(), b.expr.get(), b.rhs.get()}) Vars(*n, &vars);
  if (vars.empty()) {
    if (why) *why = "equations without variables";
    return false;
  }
  long double ratio = NAN;
  int agreeing = 0;
  bool ok = ForPoints(vars, opt, [&](const Env& env) {
    long double fa = NumEval(*a.expr, env) - NumEval(*a.rhs, env);
    long double fb = NumEval(*b.expr, env) - NumEval(*b.rhs, env);
    if (!std::isfinite(fa) || !std::isfinite(fb)) return true;
    if (std::fabs(fb) < 1e-12L) return std::fabs(fa) < 1e-12L;
    long double r = fa / fb;
    if (std::isnan(ratio)) ratio = r;
    if (std::fabs(ratio) < 1e-12L || !Close(r, ratio, opt.symbolic_rel_tol * 10)) return false;
    ++agreeing;
    return true;
  });
  if (ok && agreeing >= 3) return true;
  if (why) *why = "equations are not equivalent";
  return false;
}

bool SameOrdered(const Answer& ref, const Answer& resp, const EquivOptions& opt, std::string* why) {
  if (ref.open != resp.open || ref.close != resp.close) {
    if (why) *why = "brackets differ";
    return false;
  }
  if (ref.items.size() != resp.items.size()) {
    if (why) *why = "different number of components";
    return false;
  }
  for (size_t i = 0; i < ref.items.size(); ++i) {
    if (!Equivalent(ref.items[i], resp.items[i], opt, why)) return false;
  }
  return true;
}

bool SameSet(const Answer& ref, const Answer& resp, const EquivOptions& opt, std::string* why) {
  if (ref.items.size() != resp.items.size()) {
    if (why)
      *why = "sets of different sizes (" + std::to_string(ref.items.size()) + " vs " +
             std::to_string(resp.items.size()) + ")";
    return false;
  }
  std::vector<bool> used(resp.items.size(), false);
  for (const auto& r : ref.items) {
    bool found = false;
    for (size_t j = 0; j < resp.items.size() && !found; ++j) {
      if (!used[j] && Equivalent(r, resp.items[j], opt, nullptr)) {
        used[j] = true;
        found = true;
      }
    }
    if (!found) {
      if (why) *why = "set element '" + r.text + "' missing";
      return false;
    }
  }
  return true;
}

}  // namespace

bool Equivalent(const Answer& ref, const Answer& resp, const EquivOptions& opt, std::string* why) {
  using K = Answer::Kind;
  if (Clock::now() > opt.deadline) {
    if (why) *why = "deadline exceeded";
    return false;
  }
  if (CompactLower(ref.text) == CompactLower(resp.text) && !ref.text.empty()) return true;
  bool ordered_ref = ref.kind == K::kTuple || ref.kind == K::kInterval;
  bool ordered_resp = resp.kind == K::kTuple || resp.kind == K::kInterval;
  if (ordered_ref && ordered_resp) return SameOrdered(ref, resp, opt, why);
  if (ref.kind == K::kSet && resp.kind == K::kSet) return SameSet(ref, resp, opt, why);
  if (ref.kind == K::kExpr && resp.kind == K::kExpr)
    return ExprEqual(*ref.expr, *resp.expr, opt, why);
  if (ref.kind == K::kEquation && resp.kind == K::kEquation)
    return EquationsEqual(ref, resp, opt, why);
  // "x = 5" against "5", either way round.
  if (ref.kind == K::kEquation && resp.kind == K::kExpr && IsSingleVar(*ref.expr)) {
    return ExprEqual(*ref.rhs, *resp.expr, opt, why);
  }
  if (resp.kind == K::kEquation && ref.kind == K::kExpr && IsSingleVar(*resp.expr)) {
    return ExprEqual(*ref.expr, *resp.rhs, opt, why);
  }
  if (why) {
    *why = (resp.kind == K::kSet && ref.kind != K::kSet)
               ? "several answers given for a single-valued reference"
               : "answers of different shapes";
  }
  return false;
}

}  // namespace rl::rewards::math
