// Tokenizer, expression parser and answer-structure parser (declared in expr.h).
#include "rewards/math/expr.h"

#include <cctype>

namespace rl::rewards::math {
namespace {

struct Token {
  enum class T { kNum, kIdent, kCmd, kSym, kEnd };
  T t = T::kEnd;
  std::string s;
};

bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Plain-text names recognised inside a run of letters ("sqrt(2)", "sinx").
const char* const kPlainNames[] = {"sqrt", "sin", "cos", "tan", "log", "ln", "exp", "pi", "abs"};

StatusOr<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ') {
      ++i;
    } else if (IsDigit(c) || (c == '.' && i + 1 < s.size() && IsDigit(s[i + 1]))) {
      size_t j = i;
      bool dot = false;
      while (j < s.size() &&
             (IsDigit(s[j]) || (s[j] == '.' && !dot && j + 1 < s.size() && IsDigit(s[j + 1])))) {
        dot |= s[j] == '.';
        ++j;
      }
      out.push_back({Token::T::kNum, std::string(s.substr(i, j - i))});
      i = j;
    } else if (c == '\\') {
      size_t j = i + 1;
      while (j < s.size() && IsAlpha(s[j])) ++j;
      if (j == i + 1) return absl::InvalidArgumentError("stray backslash");
      out.push_back({Token::T::kCmd, std::string(s.substr(i + 1, j - i - 1))});
      i = j;
    } else if (IsAlpha(c)) {
      size_t j = i;
      while (j < s.size() && IsAlpha(s[j])) ++j;
      std::string_view run = s.substr(i, j - i);
      size_t k = 0;
      while (k < run.size()) {
        bool matched = false;
        for (const char* name : kPlainNames) {
          std::string_view n(name);
          if (run.substr(k, n.size()) == n) {
            out.push_back({Token::T::kCmd, std::string(n)});
            k += n.size();
            matched = true;
            break;
          }
        }
        if (!matched) out.push_back({Token::T::kIdent, std::string(1, run[k++])});
      }
      i = j;
    } else if (std::string_view("+-*/^!()[]{},=|").find(c) != std::string_view::npos) {
      out.push_back({Token::T::kSym, std::string(1, c)});
      ++i;
    } else {
      return absl::InvalidArgumentError(std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({Token::T::kEnd, ""});
  return out;
}

std::unique_ptr<Node> MakeNode(Node::Op op) {
  auto n = std::make_unique<Node>();
  n->op = op;
  return n;
}

std::unique_ptr<Node> Binary(Node::Op op, std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
  auto n = MakeNode(op);
  n->kids.push_back(std::move(a));
  n->kids.push_back(std::move(b));
  return n;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  StatusOr<std::unique_ptr<Node>> ParseAll() {
    RL_ASSIGN_OR_RETURN(auto n, Expr(0));
    if (Peek().t != Token::T::kEnd) return Err("unexpected '" + Peek().s + "'");
    return n;
  }

 private:
  const Token& Peek() const { return toks_[pos_]; }
  bool IsSym(const char* s) const { return Peek().t == Token::T::kSym && Peek().s == s; }
  bool IsCmd(const char* s) const { return Peek().t == Token::T::kCmd && Peek().s == s; }
  static Status Err(const std::string& m) { return absl::InvalidArgumentError(m); }
  Status Expect(const char* s) {
    if (!IsSym(s)) return Err(std::string("expected '") + s + "'");
    ++pos_;
    return absl::OkStatus();
  }
  Status Deeper(int depth) const {
    if (depth > kMaxDepth) return Err("expression nested too deeply");
    return absl::OkStatus();
  }

  StatusOr<std::unique_ptr<Node>> Expr(int depth) {
    RL_RETURN_IF_ERROR(Deeper(depth));
    RL_ASSIGN_OR_RETURN(auto lhs, Term(depth + 1));
    while (IsSym("+") || IsSym("-")) {
      bool plus = Peek().s == "+";
      ++pos_;
      RL_ASSIGN_OR_RETURN(auto rhs, Term(depth + 1));
      lhs = Binary(plus ? Node::Op::kAdd : Node::Op::kSub, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  bool StartsPrimary() const {
    const Token& t = Peek();
    if (t.t == Token::T::kNum || t.t == Token::T::kIdent) return true;
    if (t.t == Token::T::kCmd) return t.s != "cup" && t.s != "in";
    return t.t == Token::T::kSym && (t.s == "(" || t.s == "{" || t.s == "[");
  }

  StatusOr<std::unique_ptr<Node>> Term(int depth) {
    RL_RETURN_IF_ERROR(Deeper(depth));
    RL_ASSIGN_OR_RETURN(auto lhs, Unary(depth + 1));
    while (true) {
      if (IsSym("*") || IsSym("/")) {
        bool mul = Peek().s == "*";
        ++pos_;
        RL_ASSIGN_OR_RETURN(auto rhs, Unary(depth + 1));
        lhs = Binary(mul ? Node::Op::kMul : Node::Op::kDiv, std::move(lhs), std::move(rhs));
      } else if (StartsPrimary()) {  // implicit multiplication: 2x, 3\sqrt{2}, (a)(b)
        RL_ASSIGN_OR_RETURN(auto rhs, Power(depth + 1));
        lhs = Binary(Node::Op::kMul, std::move(lhs), std::move(rhs));
      } else {
        return lhs;
      }
    }
  }

  StatusOr<std::unique_ptr<Node>> Unary(int depth) {
    RL_RETURN_IF_ERROR(Deeper(depth));
    if (IsSym("-")) {
      ++pos_;
      RL_ASSIGN_OR_RETURN(auto x, Unary(depth + 1));
      auto n = MakeNode(Node::Op::kNeg);
      n->kids.push_back(std::move(x));
      return n;
    }
    if (IsSym("+")) {
      ++pos_;
      return Unary(depth + 1);
    }
    return Power(depth + 1);
  }

  StatusOr<std::unique_ptr<Node>> Power(int depth) {
    RL_RETURN_IF_ERROR(Deeper(depth));
    RL_ASSIGN_OR_RETURN(auto base, Postfix(depth + 1));
    if (IsSym("^")) {
      ++pos_;
      RL_ASSIGN_OR_RETURN(auto ex, Unary(depth + 1));
      return Binary(Node::Op::kPow, std::move(base), std::move(ex));
    }
    return base;
  }

  StatusOr<std::unique_ptr<Node>> Postfix(int depth) {
    RL_ASSIGN_OR_RETURN(auto x, Primary(depth + 1));
    while (IsSym("!")) {
      ++pos_;
      auto n = MakeNode(Node::Op::kFact);
      n->kids.push_back(std::move(x));
      x = std::move(n);
    }
    return x;
  }

  StatusOr<std::unique_ptr<Node>> Number(const std::string& text) {
    auto r = Rational::ParseDecimal(text);
    if (!r) return Err("number out of range: " + text.substr(0, 40));
    auto n = MakeNode(Node::Op::kNum);
    n->value = *r;
    size_t dot = text.find('.');
    n->decimal =
        dot != std::string::npos && text.find_first_not_of('0', dot + 1) != std::string::npos;
    return n;
  }

  // One argument of \frac or \sqrt: a {group}, or a single digit/letter/command (\frac12).
  StatusOr<std::unique_ptr<Node>> Argument(int depth) {
    RL_RETURN_IF_ERROR(Deeper(depth));
    Token& t = toks_[pos_];
    if (t.t == Token::T::kNum && t.s.size() > 1 && t.s.find('.') == std::string::npos) {
      std::string first = t.s.substr(0, 1);
      t.s.erase(0, 1);
      return Number(first);
    }
    return Primary(depth + 1);
  }

  StatusOr<std::unique_ptr<Node>> Group(int depth, const char* open, const char* close) {
    ++pos_;
    RL_ASSIGN_OR_RETURN(auto x, Expr(depth + 1));
    RL_RETURN_IF_ERROR(Expect(close));
    (void)open;
    return x;
  }

  StatusOr<std::unique_ptr<Node>> Primary(int depth) {
    RL_RETURN_IF_ERROR(Deeper(depth));
    const Token t = Peek();
    switch (t.t) {
      case Token::T::kNum:
        ++pos_;
        return Number(t.s);
      case Token::T::kIdent: {
        ++pos_;
        auto n = MakeNode(Node::Op::kVar);
        n->name = t.s;
        return n;
      }
      case Token::T::kSym:
        if (t.s == "(") return Group(depth, "(", ")");
        if (t.s == "{") return Group(depth, "{", "}");
        if (t.s == "[") return Group(depth, "[", "]");
        if (t.s == "|") {
          ++pos_;
          RL_ASSIGN_OR_RETURN(auto x, Expr(depth + 1));
          RL_RETURN_IF_ERROR(Expect("|"));
          auto n = MakeNode(Node::Op::kFunc);
          n->name = "abs";
          n->kids.push_back(std::move(x));
          return n;
        }
        return Err("unexpected '" + t.s + "'");
      case Token::T::kCmd:
        ++pos_;
        return Command(t.s, depth);
      case Token::T::kEnd:
        return Err("unexpected end of answer");
    }
    return Err("unreachable");
  }

  StatusOr<std::unique_ptr<Node>> Command(const std::string& name, int depth) {
    if (name == "pi") return MakeNode(Node::Op::kPi);
    if (name == "infty" || name == "infinity") return MakeNode(Node::Op::kInf);
    if (name == "frac") {
      RL_ASSIGN_OR_RETURN(auto a, Argument(depth + 1));
      RL_ASSIGN_OR_RETURN(auto b, Argument(depth + 1));
      return Binary(Node::Op::kDiv, std::move(a), std::move(b));
    }
    if (name == "sqrt") {
      long long index = 2;
      if (IsSym("[")) {
        ++pos_;
        if (Peek().t != Token::T::kNum) return Err("\\sqrt[n]: n must be a number");
        auto r = Rational::ParseDecimal(Peek().s);
        if (!r || !r->is_integer() || r->num() < 2 || r->num() > 64) return Err("\\sqrt[n]: bad n");
        index = static_cast<long long>(r->num());
        ++pos_;
        RL_RETURN_IF_ERROR(Expect("]"));
      }
      RL_ASSIGN_OR_RETURN(auto x, Argument(depth + 1));
      auto n = MakeNode(Node::Op::kRoot);
      n->root_index = index;
      n->kids.push_back(std::move(x));
      return n;
    }
    static const char* const kFuncs[] = {"sin", "cos", "tan", "log", "ln", "exp", "abs"};
    for (const char* f : kFuncs) {
      if (name == f) {
        std::unique_ptr<Node> arg;
        if (IsSym("(") || IsSym("{")) {
          RL_ASSIGN_OR_RETURN(arg, Primary(depth + 1));
        } else {
          RL_ASSIGN_OR_RETURN(arg, Power(depth + 1));
        }
        auto n = MakeNode(Node::Op::kFunc);
        n->name = f;
        n->kids.push_back(std::move(arg));
        return n;
      }
    }
    return Err("unsupported command \\" + name);
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
};

// Splits at `sep` (a character, or a command like "\cup") outside ()[]{} nesting.
std::vector<std::string> SplitTopLevel(std::string_view s, std::string_view sep) {
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (depth == 0 && s.substr(i, sep.size()) == sep &&
        (sep.size() == 1 || i + sep.size() >= s.size() || !IsAlpha(s[i + sep.size()]))) {
      parts.emplace_back(s.substr(start, i - start));
      start = i + sep.size();
      i = start - 1;
    }
  }
  parts.emplace_back(s.substr(start));
  return parts;
}

// Index of the bracket closing s[0], or npos.
size_t MatchingClose(std::string_view s) {
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string_view::npos;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

StatusOr<Answer> ParseStructure(std::string_view text, int depth);

StatusOr<Answer> ParseItems(const std::vector<std::string>& parts, Answer::Kind kind, int depth) {
  Answer a;
  a.kind = kind;
  if (parts.size() > 256) return absl::InvalidArgumentError("too many list items");
  for (const auto& p : parts) {
    RL_ASSIGN_OR_RETURN(Answer item, ParseStructure(TrimView(p), depth + 1));
    a.items.push_back(std::move(item));
  }
  return a;
}

StatusOr<Answer> ParseStructure(std::string_view text, int depth) {
  if (depth > 8) return absl::InvalidArgumentError("answer structure nested too deeply");
  text = TrimView(text);
  if (text.empty()) return absl::InvalidArgumentError("empty answer");
  Answer a;
  // "x \in [1, 2]" → the set part.
  if (auto in = SplitTopLevel(text, "\\in"); in.size() == 2)
    return ParseStructure(in[1], depth + 1);
  if (auto parts = SplitTopLevel(text, "\\cup"); parts.size() > 1) {
    RL_ASSIGN_OR_RETURN(a, ParseItems(parts, Answer::Kind::kSet, depth));
    for (const auto& item : a.items) {
      if (item.kind != Answer::Kind::kInterval && item.kind != Answer::Kind::kTuple) {
        return absl::InvalidArgumentError("\\cup of non-intervals");
      }
    }
    a.text = std::string(text);
    return a;
  }
  if (auto parts = SplitTopLevel(text, ","); parts.size() > 1) {
    RL_ASSIGN_OR_RETURN(a, ParseItems(parts, Answer::Kind::kSet, depth));
    a.text = std::string(text);
    return a;
  }
  char open = text.front();
  if ((open == '(' || open == '[' || open == '{') && MatchingClose(text) == text.size() - 1) {
    std::string_view inner = text.substr(1, text.size() - 2);
    auto parts = SplitTopLevel(inner, ",");
    if (parts.size() > 1) {
      char close = text.back();
      Answer::Kind kind = open == '{'                     ? Answer::Kind::kSet
                          : (open == '(' && close == ')') ? Answer::Kind::kTuple
                                                          : Answer::Kind::kInterval;
      if (kind == Answer::Kind::kInterval && parts.size() != 2) kind = Answer::Kind::kTuple;
      RL_ASSIGN_OR_RETURN(a, ParseItems(parts, kind, depth));
      a.open = open;
      a.close = close;
      a.text = std::string(text);
      return a;
    }
  }
  if (auto eq = SplitTopLevel(text, "="); eq.size() == 2) {
    RL_ASSIGN_OR_RETURN(auto lhs, ParseExpression(eq[0]));
    RL_ASSIGN_OR_RETURN(auto rhs, ParseExpression(eq[1]));
    a.kind = Answer::Kind::kEquation;
    a.expr = std::move(lhs);
    a.rhs = std::move(rhs);
    a.text = std::string(text);
    return a;
  }
  RL_ASSIGN_OR_RETURN(a.expr, ParseExpression(text));
  a.kind = Answer::Kind::kExpr;
  a.text = std::string(text);
  return a;
}

}  // namespace

StatusOr<std::unique_ptr<Node>> ParseExpression(std::string_view normalized) {
  if (normalized.size() > kMaxAnswerChars) return absl::InvalidArgumentError("expression too long");
  RL_ASSIGN_OR_RETURN(auto toks, Lex(normalized));
  Parser p(std::move(toks));
  return p.ParseAll();
}

StatusOr<Answer> ParseAnswer(std::string_view normalized) {
  if (normalized.size() > kMaxAnswerChars) return absl::InvalidArgumentError("answer too long");
  return ParseStructure(normalized, 0);
}

StatusOr<Answer> ReadAnswer(std::string_view raw) {
  RL_ASSIGN_OR_RETURN(std::string norm, NormalizeAnswer(raw));
  auto parsed = ParseAnswer(norm);
  if (parsed.ok()) return parsed;
  Answer a;
  a.kind = Answer::Kind::kText;
  a.text = norm;
  return a;
}

}  // namespace rl::rewards::math
