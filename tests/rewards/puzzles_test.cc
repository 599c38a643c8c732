// Puzzle families: the generator's own solution passes, alternative valid solutions pass,
// and wrong answers fail. Validity is decided in the test by independent naive checkers
// (exhaustive enumeration, Floyd–Warshall, direct clue evaluation) from the metadata.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <sstream>

#include "rewards/math/math_verifier.h"
#include "rewards/puzzles/families.h"

namespace rl::rewards::puzzles {
namespace {

using nlohmann::json;

tasks::Task MakeTask(const std::string& kind, const json& meta) {
  tasks::Task t;
  t.id = "t";
  t.kind = kind;
  t.metadata = meta.dump();
  return t;
}

bool Ok(const StatusOr<VerifyResult>& r) {
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() && r->correct.value_or(false) && r->reward == 1.0f;
}

std::vector<tasks::Task> Gen(const std::string& name, const Params& p, int count,
                             uint64_t seed = 1) {
  GeneratorRegistry reg;
  EXPECT_TRUE(RegisterBuiltinGenerators(reg).ok());
  auto t = Generate(reg, name, p, count, seed);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : std::vector<tasks::Task>{};
}

TEST(Generators, DeterministicAndValidated) {
  auto a = Gen("sudoku", {{"size", 9}, {"holes", 30}}, 3, 7);
  auto b = Gen("sudoku", {{"size", 9}, {"holes", 30}}, 3, 7);
  ASSERT_EQ(a.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(tasks::TaskToJson(a[i]), tasks::TaskToJson(b[i]));
  EXPECT_NE(a[0].metadata, a[1].metadata);
  GeneratorRegistry reg;
  ASSERT_TRUE(RegisterBuiltinGenerators(reg).ok());
  auto bad = Generate(reg, "sudoku", {{"sise", 4}}, 1, 0);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("known: holes, size"), std::string::npos)
      << bad.status();
  EXPECT_FALSE(Generate(reg, "sudoku", {{"size", 5}}, 1, 0).ok());
  EXPECT_FALSE(Generate(reg, "sudok", {}, 1, 0).ok());
  EXPECT_EQ(reg.Names().size(), 7u);
}

TEST(Arithmetic, ReferenceIsTheExpressionValue) {
  for (const auto& t : Gen("arithmetic", {{"max_operand", 50}, {"ops", 4}, {"division", 1}}, 40)) {
    EXPECT_EQ(t.kind, "math");
    std::string expr = json::parse(t.metadata)["expression"];
    // The math verifier parses the expression text itself: an independent evaluation.
    auto j = math::JudgeMath(t.answer, "\\boxed{" + expr + "}", math::MathOptions{});
    EXPECT_TRUE(j.correct) << expr << " vs " << t.answer << " " << j.details.dump();
    EXPECT_FALSE(
        math::JudgeMath(t.answer, "\\boxed{(" + expr + ")+1}", math::MathOptions{}).correct);
  }
}

TEST(Arithmetic, WorkedSolutionIsCorrectAndAddsColumnByColumn) {
  // A generated task's reference response passes the math verifier, and each column line
  // "x+y[+c]=s" is true, carries the previous line's tens digit, and the units digits of the
  // lines, read last to first, spell the sum.
  int checked = 0;
  for (const auto& t : Gen("arithmetic",
                           {{"max_operand", 999},
                            {"min_operand", 10},
                            {"ops", 1},
                            {"subtraction", 0},
                            {"multiplication", 0},
                            {"short_prompt", 1}},
                           30)) {
    json m = json::parse(t.metadata);
    const std::string response = m["response"], solution = m["solution"];
    EXPECT_EQ(t.prompt, "Compute " + m["expression"].get<std::string>() + ".");
    auto j = math::JudgeMath(t.answer, response, math::MathOptions{});
    EXPECT_TRUE(j.correct) << response;
    long long a = 0, b = 0;
    ASSERT_EQ(std::sscanf(m["expression"].get<std::string>().c_str(), "%lld + %lld", &a, &b), 2);
    std::string digits;
    long long carry = 0;
    std::istringstream lines(solution);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find(" = ") != std::string::npos) {  // the summary line
        EXPECT_EQ(line,
                  std::to_string(a) + " + " + std::to_string(b) + " = " + std::to_string(a + b));
        continue;
      }
      long long x = 0, y = 0, c = 0, s = 0;
      int n = std::sscanf(line.c_str(), "%lld+%lld+%lld=%lld", &x, &y, &c, &s);
      if (n != 4) {
        c = 0;
        ASSERT_EQ(std::sscanf(line.c_str(), "%lld+%lld=%lld", &x, &y, &s), 3) << line;
      }
      EXPECT_EQ(x + y + c, s) << line;
      EXPECT_EQ(c, carry) << line;
      carry = s / 10;
      digits.insert(digits.begin(), static_cast<char>('0' + s % 10));
    }
    if (carry) digits.insert(digits.begin(), static_cast<char>('0' + carry));
    EXPECT_EQ(digits, std::to_string(a + b)) << solution;
    ++checked;
  }
  EXPECT_EQ(checked, 30);
  // Other operations get one line each, and the response still verifies.
  for (const auto& t : Gen("arithmetic", {{"max_operand", 30}, {"ops", 3}}, 20)) {
    json m = json::parse(t.metadata);
    EXPECT_TRUE(
        math::JudgeMath(t.answer, m["response"].get<std::string>(), math::MathOptions{}).correct)
        << m["response"];
  }
}

TEST(Countdown, AcceptsAnyValidExpressionRejectsWrong) {
  auto t = MakeTask("countdown", {{"numbers", {2, 3, 4}}, {"target", 10}});
  for (const char* good : {"\\boxed{2*3+4}", "\\boxed{4+3 \\times 2}", "\\boxed{4*3-2}",
                           "The answer is (3*2)+4", "\\boxed{2 \\cdot 3 + 4 = 10}"}) {
    EXPECT_TRUE(Ok(VerifyCountdown(t, good))) << good;
  }
  for (const char* bad :
       {"\\boxed{2+3+4}", "\\boxed{10}", "\\boxed{2*5}", "\\boxed{(2+3)*2}", "\\boxed{2*3+4+4-4}",
        "\\boxed{2^3+2}", "\\boxed{4/0+10}", "\\boxed{}", "\\boxed{2*3+4.5}", "no idea"}) {
    auto r = VerifyCountdown(t, bad);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->correct.value_or(true)) << bad;
  }
  for (const auto& g : Gen("countdown", {{"numbers", 5}, {"max_number", 25}}, 30)) {
    EXPECT_TRUE(Ok(VerifyCountdown(g, "\\boxed{" + g.answer + "}"))) << g.answer;
    EXPECT_FALSE(VerifyCountdown(g, "\\boxed{" + g.answer + "+1}")->correct.value());
  }
  EXPECT_FALSE(VerifyCountdown(MakeTask("countdown", {{"target", 3}}), "\\boxed{3}").ok());
}

// Independent sudoku validity.
bool ValidSudoku(const std::vector<std::vector<int>>& g,
                 const std::vector<std::vector<int>>& givens) {
  int n = static_cast<int>(g.size()), b = n == 4 ? 2 : 3;
  for (int i = 0; i < n; ++i) {
    std::vector<int> row, col, box;
    for (int j = 0; j < n; ++j) {
      row.push_back(g[i][j]);
      col.push_back(g[j][i]);
      box.push_back(g[i / b * b + j / b][i % b * b + j % b]);
      if (givens[i][j] && givens[i][j] != g[i][j]) return false;
    }
    for (auto* v : {&row, &col, &box}) {
      std::sort(v->begin(), v->end());
      for (int k = 0; k < n; ++k) {
        if ((*v)[k] != k + 1) return false;
      }
    }
  }
  return true;
}

std::string GridString(const std::vector<std::vector<int>>& g) {
  std::string s;
  for (const auto& r : g) {
    for (int v : r) s += std::to_string(v) + " ";
    s += "\n";
  }
  return s;
}

std::vector<std::vector<int>> ParseGrid(const std::string& text, int n) {
  std::vector<int> d;
  for (char c : text) {
    if (c >= '1' && c <= '9') d.push_back(c - '0');
  }
  std::vector<std::vector<int>> g(n, std::vector<int>(n));
  for (int i = 0; i < n * n; ++i) g[i / n][i % n] = d.at(i);
  return g;
}

TEST(Sudoku, SolutionsAlternativesAndWrongGrids) {
  for (int n : {4, 9}) {
    for (const auto& t : Gen("sudoku", {{"size", n}, {"holes", n == 4 ? 8 : 45}}, 10)) {
      auto meta = json::parse(t.metadata);
      auto givens = meta["grid"].get<std::vector<std::vector<int>>>();
      auto sol = ParseGrid(t.answer, n);
      ASSERT_TRUE(ValidSudoku(sol, givens));
      EXPECT_TRUE(Ok(VerifySudoku(t, "\\boxed{" + GridString(sol) + "}")));
      // Every single-cell change and every row swap is judged as the naive checker says.
      for (int k = 0; k < n * n; k += 5) {
        auto bad = sol;
        bad[k / n][k % n] = bad[k / n][k % n] % n + 1;
        EXPECT_FALSE(VerifySudoku(t, GridString(bad))->correct.value());
      }
      auto swapped = sol;
      std::swap(swapped[0], swapped[1]);
      EXPECT_EQ(VerifySudoku(t, GridString(swapped))->correct.value(),
                ValidSudoku(swapped, givens));
    }
  }
  // An empty 4x4 board: any relabelling of a valid grid is another valid solution.
  auto empty = MakeTask(
      "sudoku", {{"size", 4}, {"grid", std::vector<std::vector<int>>(4, std::vector<int>(4, 0))}});
  std::vector<std::vector<int>> g = {{1, 2, 3, 4}, {3, 4, 1, 2}, {2, 1, 4, 3}, {4, 3, 2, 1}};
  std::vector<int> perm = {1, 2, 3, 4};
  do {
    auto h = g;
    for (auto& r : h) {
      for (int& v : r) v = perm[v - 1];
    }
    EXPECT_TRUE(Ok(VerifySudoku(empty, GridString(h))));
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_FALSE(VerifySudoku(empty, "1 2 3 4\n1 2 3 4\n1 2 3 4\n1 2 3 4")->correct.value());
  EXPECT_FALSE(VerifySudoku(empty, "1 2 3")->correct.value());
  EXPECT_FALSE(VerifySudoku(MakeTask("sudoku", {{"size", 5}}), "1").ok());
}

TEST(Cipher, AnyValidDecodingAndWrongOnes) {
  // "JCN" is HAL shifted by 2 and IBM shifted by 1: both decodings are valid.
  auto t = MakeTask("cipher", {{"ciphertext", "JCN"}, {"vocabulary", {"hal", "ibm", "cat"}}});
  EXPECT_TRUE(Ok(VerifyCipher(t, "\\boxed{HAL}")));
  EXPECT_TRUE(Ok(VerifyCipher(t, "the answer is ibm")));
  for (const char* bad : {"\\boxed{CAT}", "\\boxed{HAM}", "\\boxed{HA}", "\\boxed{HAL HAL}", ""}) {
    EXPECT_FALSE(VerifyCipher(t, bad)->correct.value()) << bad;
  }
  for (const auto& g : Gen("cipher", {{"words", 5}}, 20)) {
    EXPECT_TRUE(Ok(VerifyCipher(g, "\\boxed{" + g.answer + "}")));
    std::string wrong = g.answer;
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(VerifyCipher(g, "\\boxed{" + wrong + "}")->correct.value());
  }
}

// Independent zebra check: every clue of the metadata against a value→house map.
bool ZebraHolds(const json& meta, const std::map<std::string, int>& house) {
  for (const auto& c : meta["clues"]) {
    int a = house.at(c["a"]);
    std::string type = c["type"];
    if (type == "pos") {
      if (a != c["house"].get<int>() - 1) return false;
      continue;
    }
    int b = house.at(c["b"]);
    if ((type == "same" && a != b) || (type == "notsame" && a == b) ||
        (type == "left" && a + 1 != b) || (type == "next" && std::abs(a - b) != 1)) {
      return false;
    }
  }
  return true;
}

// Enumerates every assignment of a zebra puzzle; fn(map, response text).
void ForAllZebra(
    const json& meta,
    const std::function<void(const std::map<std::string, int>&, const std::string&)>& fn) {
  int n = meta["houses"];
  std::vector<std::vector<std::string>> cats;
  for (auto it = meta["categories"].begin(); it != meta["categories"].end(); ++it)
    cats.push_back(*it);
  std::vector<std::vector<int>> perms(cats.size());
  std::vector<int> base(n);
  for (int i = 0; i < n; ++i) base[i] = i;
  std::function<void(size_t)> rec = [&](size_t c) {
    if (c == cats.size()) {
      std::map<std::string, int> house;
      std::vector<std::string> lines(n);
      for (size_t k = 0; k < cats.size(); ++k) {
        for (int v = 0; v < n; ++v) house[cats[k][v]] = perms[k][v];
      }
      for (int h = 0; h < n; ++h) {
        lines[h] = "House " + std::to_string(h + 1) + ":";
        for (size_t k = 0; k < cats.size(); ++k) {
          for (int v = 0; v < n; ++v) {
            if (perms[k][v] == h) lines[h] += " " + cats[k][v] + ",";
          }
        }
      }
      std::string text;
      for (auto& l : lines) text += l + "\n";
      fn(house, text);
      return;
    }
    std::vector<int> p = base;
    do {
      perms[c] = p;
      rec(c + 1);
    } while (std::next_permutation(p.begin(), p.end()));
  };
  rec(0);
}

TEST(Zebra, ExhaustiveAgainstIndependentClueCheck) {
  for (const auto& t : Gen("zebra", {{"houses", 3}, {"categories", 3}}, 4)) {
    auto meta = json::parse(t.metadata);
    EXPECT_TRUE(Ok(VerifyZebra(t, t.answer))) << t.answer;
    int accepted = 0;
    ForAllZebra(meta, [&](const std::map<std::string, int>& house, const std::string& text) {
      bool expect = ZebraHolds(meta, house);
      auto r = VerifyZebra(t, text);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->correct.value(), expect) << text;
      accepted += expect;
    });
    EXPECT_GE(accepted, 1);
  }
  // Few clues: several valid assignments, all accepted (checked exhaustively above style).
  json loose = {
      {"houses", 3},
      {"categories", {{"color", {"red", "green", "blue"}}, {"pet", {"dog", "cat", "bird"}}}},
      {"clues", {{{"type", "same"}, {"a", "red"}, {"b", "dog"}}}}};
  auto t = MakeTask("zebra", loose);
  int accepted = 0;
  ForAllZebra(loose, [&](const std::map<std::string, int>& house, const std::string& text) {
    bool expect = ZebraHolds(loose, house);
    EXPECT_EQ(VerifyZebra(t, text)->correct.value(), expect);
    accepted += expect;
  });
  EXPECT_EQ(accepted, 12);  // 6 colourings × 2 ways to place cat/bird
  EXPECT_FALSE(
      VerifyZebra(t, "House 1: red, dog\nHouse 2: red, cat\nHouse 3: blue, bird")->correct.value());
  EXPECT_FALSE(VerifyZebra(t, "House 1: red, dog, unicorn")->correct.value());
  EXPECT_FALSE(VerifyZebra(t, "")->correct.value());
}

TEST(ShortestPath, AnyShortestPathAndWrongOnes) {
  json g = {{"nodes", 4},
            {"source", 0},
            {"target", 3},
            {"edges", {{0, 1, 1}, {1, 3, 1}, {0, 2, 1}, {2, 3, 1}, {0, 3, 5}}}};
  auto t = MakeTask("shortest_path", g);
  EXPECT_TRUE(Ok(VerifyShortestPath(t, "\\boxed{0 -> 1 -> 3}")));
  EXPECT_TRUE(Ok(VerifyShortestPath(t, "\\boxed{0, 2, 3}")));
  for (const char* bad : {"\\boxed{0 -> 3}", "\\boxed{0 1 2 3}", "\\boxed{1 3}", "\\boxed{0 1}",
                          "\\boxed{0 1 0 1 3}", "\\boxed{0 9 3}", "none"}) {
    EXPECT_FALSE(VerifyShortestPath(t, bad)->correct.value()) << bad;
  }
  // Generated graphs: a shortest path from Floyd–Warshall (independent) is accepted.
  for (const auto& task : Gen("shortest_path", {{"nodes", 7}, {"extra_edges", 6}}, 15)) {
    auto m = json::parse(task.metadata);
    int n = m["nodes"];
    const long long kInf = 1LL << 50;
    std::vector<std::vector<long long>> d(n, std::vector<long long>(n, kInf));
    std::vector<std::vector<int>> next(n, std::vector<int>(n, -1));
    for (int i = 0; i < n; ++i) d[i][i] = 0, next[i][i] = i;
    for (const auto& e : m["edges"]) {
      int a = e[0], b = e[1];
      long long w = e[2];
      d[a][b] = d[b][a] = w;
      next[a][b] = b;
      next[b][a] = a;
    }
    for (int k = 0; k < n; ++k)
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (d[i][k] + d[k][j] < d[i][j]) d[i][j] = d[i][k] + d[k][j], next[i][j] = next[i][k];
    std::string path = "0";
    for (int u = 0; u != n - 1;) {
      u = next[u][n - 1];
      path += " -> " + std::to_string(u);
    }
    EXPECT_TRUE(Ok(VerifyShortestPath(task, "\\boxed{" + path + "}"))) << path;
    EXPECT_EQ(std::to_string(d[0][n - 1]), task.answer);
  }
}

TEST(Sat, ExhaustiveAgainstNaiveEvaluation) {
  for (const auto& t : Gen("sat", {{"variables", 6}, {"clauses", 18}}, 6)) {
    auto m = json::parse(t.metadata);
    auto clauses = m["clauses"].get<std::vector<std::vector<int>>>();
    int n = m["variables"];
    EXPECT_TRUE(Ok(VerifySat(t, "\\boxed{" + t.answer + "}")));
    int satisfying = 0;
    for (int mask = 0; mask < (1 << n); ++mask) {
      bool all = true;
      for (const auto& c : clauses) {
        bool any = false;
        for (int lit : c) any = any || ((lit > 0) == (((mask >> (std::abs(lit) - 1)) & 1) == 1));
        all = all && any;
      }
      std::string text;
      for (int i = 1; i <= n; ++i)
        text += "x" + std::to_string(i) + (((mask >> (i - 1)) & 1) ? "=true " : "=0, ");
      EXPECT_EQ(VerifySat(t, "\\boxed{" + text + "}")->correct.value(), all) << text;
      satisfying += all;
    }
    EXPECT_GE(satisfying, 1);
  }
  auto t = MakeTask("sat", {{"variables", 2}, {"clauses", {{1, 2}}}});
  EXPECT_FALSE(VerifySat(t, "\\boxed{x1=1}")->correct.value());              // x2 missing
  EXPECT_FALSE(VerifySat(t, "\\boxed{x1=1, x2=0, x1=0}")->correct.value());  // contradictory
  EXPECT_FALSE(VerifySat(t, "\\boxed{x1=0, x2=0}")->correct.value());
  EXPECT_FALSE(VerifySat(t, "\\boxed{x1=1, x2=0, x3=1}")->correct.value());  // no x3
  EXPECT_TRUE(Ok(VerifySat(t, "\\boxed{x1 = 0, x2 = 1}")));
}

}  // namespace
}  // namespace rl::rewards::puzzles
