// `arithmetic` (quickstart math tasks, kind "math") and `countdown`.
#include <map>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "rewards/math/expr.h"
#include "rewards/puzzles/families.h"
#include "rl/tasks/chat_template.h"

namespace rl::rewards::puzzles {
namespace {

using math::Rational;

std::optional<Rational> Apply(char op, const Rational& a, const Rational& b) {
  switch (op) {
    case '+':
      return math::Add(a, b);
    case '-':
      return math::Sub(a, b);
    case '*':
      return math::Mul(a, b);
    default:
      return math::Div(a, b);
  }
}

// Exact value of an expression made only of integer literals, + - * / and brackets, and
// the multiset of its literals; nullopt for anything else (variables, powers, decimals…).
std::optional<Rational> EvalCountdown(const math::Node& n, std::map<long long, int>* used) {
  using Op = math::Node::Op;
  switch (n.op) {
    case Op::kNum:
      if (!n.value.is_integer() || n.decimal) return std::nullopt;
      ++(*used)[static_cast<long long>(n.value.num())];
      return n.value;
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv: {
      auto a = EvalCountdown(*n.kids[0], used);
      auto b = EvalCountdown(*n.kids[1], used);
      if (!a || !b) return std::nullopt;
      char op = n.op == Op::kAdd ? '+' : n.op == Op::kSub ? '-' : n.op == Op::kMul ? '*' : '/';
      return Apply(op, *a, *b);
    }
    default:
      return std::nullopt;
  }
}

// The worked solution of a left-to-right expression: one line per operation. Additions of
// two non-negative integers are worked column by column, least significant digit first
// ("7+8=15" then "4+3+1=8" for 47 + 38), so a small model can learn the algorithm.
std::string ColumnAddition(long long a, long long b) {
  std::string out;
  long long carry = 0;
  while (a > 0 || b > 0 || carry > 0) {
    long long da = a % 10, db = b % 10, s = da + db + carry;
    out += std::to_string(da) + "+" + std::to_string(db);
    if (carry) out += "+" + std::to_string(carry);
    out += "=" + std::to_string(s) + "\n";
    carry = s / 10;
    a /= 10;
    b /= 10;
  }
  return out;
}

std::string ArithmeticSolution(const std::vector<Rational>& values, const std::vector<char>& ops,
                               const std::vector<int>& operands) {
  std::string out;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Rational& a = values[i];
    const Rational& result = values[i + 1];
    const long long b = operands[i + 1];
    if (ops[i] == '+' && a.is_integer() && a.num() >= 0 && b >= 0 && (a.num() >= 10 || b >= 10)) {
      out += ColumnAddition(static_cast<long long>(a.num()), b);
    }
    out += a.ToString() + " " + ops[i] + " " + std::to_string(b) + " = " + result.ToString();
    if (i + 1 < ops.size()) out += "\n";
  }
  return out;
}

}  // namespace

std::shared_ptr<TaskGenerator> MakeArithmeticGenerator() {
  return MakeGenerator(
      "arithmetic",
      {{"max_operand", 20},
       {"min_operand", 1},
       {"ops", 2},
       {"subtraction", 1},
       {"multiplication", 1},
       {"division", 0},
       {"short_prompt", 0}},
      [](uint64_t seed, const Params& p) -> StatusOr<tasks::Task> {
        RL_ASSIGN_OR_RETURN(int max_operand, IntParam(p, "max_operand", 1, 1000000));
        RL_ASSIGN_OR_RETURN(int min_operand, IntParam(p, "min_operand", 0, max_operand));
        RL_ASSIGN_OR_RETURN(int ops, IntParam(p, "ops", 1, 10));
        RL_ASSIGN_OR_RETURN(int subtraction, IntParam(p, "subtraction", 0, 1));
        RL_ASSIGN_OR_RETURN(int multiplication, IntParam(p, "multiplication", 0, 1));
        RL_ASSIGN_OR_RETURN(int division, IntParam(p, "division", 0, 1));
        RL_ASSIGN_OR_RETURN(int short_prompt, IntParam(p, "short_prompt", 0, 1));
        std::mt19937_64 rng(seed);
        std::uniform_int_distribution<int> operand(min_operand, max_operand);
        std::string op_chars = "+";
        if (subtraction) op_chars += '-';
        if (multiplication) op_chars += '*';
        if (division) op_chars += '/';
        std::uniform_int_distribution<size_t> op_pick(0, op_chars.size() - 1);
        // Built left to right, each step optionally bracketing the running expression, so
        // the text's value is exactly the running value.
        int first = operand(rng);
        std::string text = std::to_string(first);
        Rational value(first);
        std::vector<Rational> values = {value};
        std::vector<char> applied;
        std::vector<int> operands = {first};
        for (int i = 0; i < ops; ++i) {
          char op = op_chars[op_pick(rng)];
          int x = operand(rng);
          if (op == '/' && x == 0) x = 1;
          auto next = Apply(op, value, Rational(x));
          if (!next) return absl::InternalError("arithmetic overflow; lower max_operand");
          bool bracket = (op == '*' || op == '/') && text.find_first_of("+-") != std::string::npos;
          text = (bracket ? "(" + text + ")" : text) + " " + op + " " + std::to_string(x);
          value = *next;
          values.push_back(value);
          applied.push_back(op);
          operands.push_back(x);
        }
        tasks::Task t;
        t.kind = "math";
        t.prompt = short_prompt ? "Compute " + text + "."
                                : "Compute " + text +
                                      ". Give the exact value (a fraction if needed) in \\boxed{}.";
        t.answer = value.ToString();
        const std::string solution = ArithmeticSolution(values, applied, operands);
        t.metadata = nlohmann::json{{"generator", "arithmetic"},
                                    {"expression", text},
                                    {"solution", solution},
                                    {"response",
                                     tasks::FormatResponse(solution, "\\boxed{" + t.answer + "}")}}
                         .dump();
        return t;
      });
}

std::shared_ptr<TaskGenerator> MakeCountdownGenerator() {
  return MakeGenerator(
      "countdown", {{"numbers", 4}, {"max_number", 20}},
      [](uint64_t seed, const Params& p) -> StatusOr<tasks::Task> {
        RL_ASSIGN_OR_RETURN(int count, IntParam(p, "numbers", 2, 8));
        RL_ASSIGN_OR_RETURN(int max_number, IntParam(p, "max_number", 2, 1000));
        std::mt19937_64 rng(seed);
        std::uniform_int_distribution<int> num(1, max_number);
        for (int attempt = 0; attempt < 1000; ++attempt) {
          std::vector<int> numbers(count);
          for (int& x : numbers) x = num(rng);
          // A random left-to-right combination of all numbers; keep positive integer targets.
          std::string expr = std::to_string(numbers[0]);
          Rational value(numbers[0]);
          bool ok = true;
          for (int i = 1; i < count && ok; ++i) {
            char op = "+-*/"[rng() % 4];
            auto next = Apply(op, value, Rational(numbers[i]));
            ok = next && next->is_integer() && next->num() > 0;
            if (!ok) break;
            expr = (i > 1 ? "(" + expr + ")" : expr) + " " + op + " " + std::to_string(numbers[i]);
            value = *next;
          }
          if (!ok || value.num() == numbers[0]) continue;
          long long target = static_cast<long long>(value.num());
          std::string list;
          for (int x : numbers) list += (list.empty() ? "" : ", ") + std::to_string(x);
          tasks::Task t;
          t.kind = "countdown";
          t.prompt = "Using the numbers [" + list +
                     "], each at most once, and the operations + - * / "
                     "with parentheses, write an expression equal to " +
                     std::to_string(target) + ". Put only the expression in \\boxed{}.";
          t.answer = expr;
          t.metadata = nlohmann::json{{"numbers", numbers}, {"target", target}}.dump();
          return t;
        }
        return absl::InternalError("no countdown instance found; change max_number");
      });
}

StatusOr<VerifyResult> VerifyCountdown(const tasks::Task& task, std::string_view response) {
  RL_ASSIGN_OR_RETURN(auto meta, Metadata(task));
  if (!meta.contains("numbers") || !meta["numbers"].is_array() || !meta.contains("target") ||
      !meta["target"].is_number_integer()) {
    return absl::InvalidArgumentError("task " + task.id +
                                      ": countdown metadata needs numbers[] and target");
  }
  std::map<long long, int> available;
  for (const auto& x : meta["numbers"]) ++available[x.get<long long>()];
  long long target = meta["target"].get<long long>();
  std::string region = AnswerRegion(response);
  // "3*4+2 = 14": the expression is the left side.
  if (auto eq = region.find('='); eq != std::string::npos) region = region.substr(0, eq);
  auto norm = math::NormalizeAnswer(region);
  if (!norm.ok()) return Judged(false, "answer unreadable");
  auto expr = math::ParseExpression(*norm);
  if (!expr.ok())
    return Judged(false, "not an expression: " + std::string(expr.status().message()));
  std::map<long long, int> used;
  auto value = EvalCountdown(**expr, &used);
  if (!value) return Judged(false, "only integers from the list and + - * / are allowed");
  for (const auto& [n, c] : used) {
    if (available[n] < c)
      return Judged(false, "number " + std::to_string(n) + " used too often or not given");
  }
  if (!(*value == Rational(target))) {
    return Judged(false,
                  "expression equals " + value->ToString() + ", not " + std::to_string(target));
  }
  return Judged(true);
}

}  // namespace rl::rewards::puzzles
