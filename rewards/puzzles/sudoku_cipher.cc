// `sudoku` (4×4 and 9×9) and `cipher` (Caesar-shifted sentences over a given vocabulary).
#include <algorithm>
#include <cctype>
#include <random>
#include <set>

#include "rewards/puzzles/families.h"
#include "rl/core/strings.h"

namespace rl::rewards::puzzles {
namespace {

using Grid = std::vector<std::vector<int>>;

int BoxSide(int n) { return n == 4 ? 2 : 3; }

bool Allowed(const Grid& g, int r, int c, int v) {
  int n = static_cast<int>(g.size()), b = BoxSide(n);
  for (int i = 0; i < n; ++i) {
    if (g[r][i] == v || g[i][c] == v) return false;
  }
  for (int i = r / b * b; i < r / b * b + b; ++i) {
    for (int j = c / b * b; j < c / b * b + b; ++j) {
      if (g[i][j] == v) return false;
    }
  }
  return true;
}

bool Fill(Grid& g, int cell, std::mt19937_64& rng) {
  int n = static_cast<int>(g.size());
  if (cell == n * n) return true;
  int r = cell / n, c = cell % n;
  if (g[r][c] != 0) return Fill(g, cell + 1, rng);
  std::vector<int> vals(n);
  for (int i = 0; i < n; ++i) vals[i] = i + 1;
  std::shuffle(vals.begin(), vals.end(), rng);
  for (int v : vals) {
    if (Allowed(g, r, c, v)) {
      g[r][c] = v;
      if (Fill(g, cell + 1, rng)) return true;
      g[r][c] = 0;
    }
  }
  return false;
}

std::string GridText(const Grid& g) {
  std::string s;
  for (const auto& row : g) {
    for (size_t j = 0; j < row.size(); ++j)
      s += (j ? " " : "") + (row[j] ? std::to_string(row[j]) : std::string("."));
    s += "\n";
  }
  return s;
}

const char* const kWords[] = {
    "apple", "river", "stone", "light", "green", "house", "music", "cloud", "bread", "water",
    "tiger", "plant", "chair", "table", "night", "smile", "ocean", "field", "train", "story",
    "happy", "quiet", "brave", "sweet", "small", "large", "early", "after", "under", "every",
    "the",   "a",     "and",   "of",    "to",    "in",    "is",    "red",   "blue",  "cat",
    "dog",   "sun",   "moon",  "star",  "tree",  "bird",  "fish",  "book",  "road",  "rain"};

std::string Shift(std::string_view s, int k) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>('A' + (c - 'A' + k) % 26);
  }
  return out;
}

// Upper-case letters and single spaces.
std::string Canonical(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (std::isspace(static_cast<unsigned char>(c)) && !out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::shared_ptr<TaskGenerator> MakeSudokuGenerator() {
  return MakeGenerator(
      "sudoku", {{"size", 4}, {"holes", 6}},
      [](uint64_t seed, const Params& p) -> StatusOr<tasks::Task> {
        RL_ASSIGN_OR_RETURN(int n, IntParam(p, "size", 4, 9));
        if (n != 4 && n != 9) return absl::InvalidArgumentError("param 'size' must be 4 or 9");
        RL_ASSIGN_OR_RETURN(int holes, IntParam(p, "holes", 1, n * n));
        std::mt19937_64 rng(seed);
        Grid solution(n, std::vector<int>(n, 0));
        Fill(solution, 0, rng);
        Grid puzzle = solution;
        std::vector<int> cells(n * n);
        for (int i = 0; i < n * n; ++i) cells[i] = i;
        std::shuffle(cells.begin(), cells.end(), rng);
        for (int i = 0; i < holes; ++i) puzzle[cells[i] / n][cells[i] % n] = 0;
        tasks::Task t;
        t.kind = "sudoku";
        t.prompt = "Solve this " + std::to_string(n) + "x" + std::to_string(n) +
                   " sudoku ('.' = empty). Every row, column and box must hold 1-" +
                   std::to_string(n) +
                   " once. Answer with the full grid, one row per line, inside \\boxed{}.\n" +
                   GridText(puzzle);
        t.answer = GridText(solution);
        t.metadata = nlohmann::json{{"size", n}, {"grid", puzzle}}.dump();
        return t;
      });
}

StatusOr<VerifyResult> VerifySudoku(const tasks::Task& task, std::string_view response) {
  RL_ASSIGN_OR_RETURN(auto meta, Metadata(task));
  Grid givens;
  int n = 0;
  try {
    n = meta.at("size").get<int>();
    givens = meta.at("grid").get<Grid>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError("task " + task.id + ": sudoku metadata: " + e.what());
  }
  if ((n != 4 && n != 9) || static_cast<int>(givens.size()) != n) {
    return absl::InvalidArgumentError("task " + task.id + ": sudoku size must be 4 or 9");
  }
  std::string region = AnswerRegion(response);
  std::vector<int> digits;
  for (char c : region) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits.push_back(c - '0');
  }
  if (static_cast<int>(digits.size()) < n * n) return Judged(false, "fewer than size*size digits");
  // The last n*n digits are the grid (a response may restate the puzzle first).
  digits.erase(digits.begin(), digits.end() - n * n);
  Grid g(n, std::vector<int>(n));
  for (int i = 0; i < n * n; ++i) g[i / n][i % n] = digits[i];
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) {
      int v = g[r][c];
      if (v < 1 || v > n) return Judged(false, "cell value out of range");
      if (givens[r][c] != 0 && givens[r][c] != v) return Judged(false, "a given cell was changed");
      g[r][c] = 0;
      bool ok = Allowed(g, r, c, v);
      g[r][c] = v;
      if (!ok) return Judged(false, "row, column or box repeats a value");
    }
  }
  return Judged(true);
}

std::shared_ptr<TaskGenerator> MakeCipherGenerator() {
  return MakeGenerator(
      "cipher", {{"words", 4}}, [](uint64_t seed, const Params& p) -> StatusOr<tasks::Task> {
        RL_ASSIGN_OR_RETURN(int words, IntParam(p, "words", 1, 30));
        std::mt19937_64 rng(seed);
        constexpr size_t kNum = sizeof(kWords) / sizeof(kWords[0]);
        std::string plain;
        for (int i = 0; i < words; ++i) plain += (i ? " " : "") + std::string(kWords[rng() % kNum]);
        plain = Canonical(plain);
        int shift = 1 + static_cast<int>(rng() % 25);
        std::vector<std::string> vocab(std::begin(kWords), std::end(kWords));
        tasks::Task t;
        t.kind = "cipher";
        t.prompt = "This text was encrypted with a Caesar shift: " + Shift(plain, shift) +
                   "\nThe plaintext uses only these words: " + nlohmann::json(vocab).dump() +
                   ". Give the plaintext in \\boxed{}.";
        t.answer = plain;
        t.metadata =
            nlohmann::json{{"ciphertext", Shift(plain, shift)}, {"vocabulary", vocab}}.dump();
        return t;
      });
}

StatusOr<VerifyResult> VerifyCipher(const tasks::Task& task, std::string_view response) {
  RL_ASSIGN_OR_RETURN(auto meta, Metadata(task));
  std::string cipher;
  std::set<std::string> vocab;
  try {
    cipher = Canonical(meta.at("ciphertext").get<std::string>());
    for (const auto& w : meta.at("vocabulary")) vocab.insert(Canonical(w.get<std::string>()));
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError("task " + task.id + ": cipher metadata: " + e.what());
  }
  std::string answer = Canonical(AnswerRegion(response));
  if (answer.size() != cipher.size()) return Judged(false, "length differs from the ciphertext");
  for (const auto& w : Split(answer, ' ')) {
    if (!vocab.count(w)) return Judged(false, "'" + w + "' is not in the vocabulary");
  }
  // Valid = some Caesar shift maps this plaintext onto the ciphertext.
  for (int k = 0; k < 26; ++k) {
    if (Shift(answer, k) == cipher) return Judged(true);
  }
  return Judged(false, "no Caesar shift maps the answer onto the ciphertext");
}

}  // namespace rl::rewards::puzzles
