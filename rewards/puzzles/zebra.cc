// `zebra`: houses in a row, categories of attributes (colour, pet, …), clues. The verifier
// checks the response's assignment against every clue, so any assignment satisfying all
// clues is accepted (the generator adds clues until its solution is unique, but the
// verifier does not rely on that).
#include <algorithm>
#include <cctype>
#include <map>
#include <random>

#include "rewards/puzzles/families.h"
#include "rl/core/strings.h"

namespace rl::rewards::puzzles {
namespace {

const std::vector<std::pair<std::string, std::vector<std::string>>> kCategories = {
    {"color", {"red", "green", "blue", "yellow", "white"}},
    {"pet", {"dog", "cat", "bird", "fish", "horse"}},
    {"drink", {"tea", "coffee", "milk", "juice", "water"}},
    {"job", {"doctor", "painter", "farmer", "pilot", "chef"}}};

// house[c][v] = house index of value v in category c.
using Assignment = std::vector<std::vector<int>>;

struct Clue {
  std::string type;  // same, notsame, pos, left, next
  int ca = 0, va = 0, cb = 0, vb = 0, house = 0;
};

bool Holds(const Clue& k, const Assignment& a) {
  int ha = a[k.ca][k.va];
  if (k.type == "pos") return ha == k.house;
  int hb = a[k.cb][k.vb];
  if (k.type == "same") return ha == hb;
  if (k.type == "notsame") return ha != hb;
  if (k.type == "left") return ha + 1 == hb;
  return ha - hb == 1 || hb - ha == 1;  // next
}

std::string Value(int c, int v) { return kCategories[c].second[v]; }

std::string ClueText(const Clue& k) {
  std::string a = "the " + Value(k.ca, k.va) + " one";
  if (k.type == "pos") return a + " is in house " + std::to_string(k.house + 1);
  std::string b = "the " + Value(k.cb, k.vb) + " one";
  if (k.type == "same") return a + " is in the same house as " + b;
  if (k.type == "notsame") return a + " is not in the same house as " + b;
  if (k.type == "left") return a + " is directly left of " + b;
  return a + " is next to " + b;
}

nlohmann::json ClueJson(const Clue& k) {
  nlohmann::json j = {{"type", k.type}, {"a", Value(k.ca, k.va)}};
  if (k.type == "pos") {
    j["house"] = k.house + 1;
  } else {
    j["b"] = Value(k.cb, k.vb);
  }
  return j;
}

// Counts assignments satisfying all clues (stops at `limit`): backtracking over categories,
// checking each clue once both of its categories are placed.
int CountSolutions(int n, int cats, const std::vector<Clue>& clues, Assignment& a, int c,
                   int limit) {
  if (c == cats) return 1;
  std::vector<int> perm(n);
  for (int i = 0; i < n; ++i) perm[i] = i;
  int count = 0;
  do {
    a[c] = perm;
    bool ok = true;
    for (const auto& k : clues) {
      int hi = std::max(k.ca, k.type == "pos" ? k.ca : k.cb);
      if (hi == c && !Holds(k, a)) {
        ok = false;
        break;
      }
    }
    if (ok) count += CountSolutions(n, cats, clues, a, c + 1, limit - count);
    if (count >= limit) return count;
  } while (std::next_permutation(perm.begin(), perm.end()));
  return count;
}

}  // namespace

std::shared_ptr<TaskGenerator> MakeZebraGenerator() {
  return MakeGenerator(
      "zebra", {{"houses", 3}, {"categories", 3}},
      [](uint64_t seed, const Params& p) -> StatusOr<tasks::Task> {
        RL_ASSIGN_OR_RETURN(int n, IntParam(p, "houses", 2, 5));
        RL_ASSIGN_OR_RETURN(int cats, IntParam(p, "categories", 2, 4));
        if (n == 5 && cats == 4)
          return absl::InvalidArgumentError("houses=5 with categories=4 is too large");
        std::mt19937_64 rng(seed);
        Assignment sol(cats, std::vector<int>(n));
        for (auto& perm : sol) {
          for (int i = 0; i < n; ++i) perm[i] = i;
          std::shuffle(perm.begin(), perm.end(), rng);
        }
        std::vector<Clue> clues;
        const char* types[] = {"same", "pos", "left", "next", "notsame"};
        Assignment scratch(cats, std::vector<int>(n));
        for (int tries = 0; tries < 400 && clues.size() < 60; ++tries) {
          Clue k;
          k.type = types[rng() % 5];
          k.ca = static_cast<int>(rng() % cats);
          k.va = static_cast<int>(rng() % n);
          k.cb = static_cast<int>(rng() % cats);
          k.vb = static_cast<int>(rng() % n);
          k.house = static_cast<int>(rng() % n);
          if (k.type != "pos" && k.ca == k.cb && k.va == k.vb) continue;
          if (!Holds(k, sol)) continue;
          clues.push_back(k);
          if (CountSolutions(n, cats, clues, scratch, 0, 2) == 1) break;
        }
        std::string prompt = "There are " + std::to_string(n) + " houses in a row, numbered 1 to " +
                             std::to_string(n) +
                             " from left to right. Each house has one value of each category:\n";
        nlohmann::json categories = nlohmann::json::object();
        for (int c = 0; c < cats; ++c) {
          std::vector<std::string> vals(kCategories[c].second.begin(),
                                        kCategories[c].second.begin() + n);
          categories[kCategories[c].first] = vals;
          prompt += "- " + kCategories[c].first + ": " + Join(vals, ", ") + "\n";
        }
        prompt += "Clues:\n";
        nlohmann::json clue_json = nlohmann::json::array();
        for (size_t i = 0; i < clues.size(); ++i) {
          prompt += std::to_string(i + 1) + ". " + ClueText(clues[i]) + "\n";
          clue_json.push_back(ClueJson(clues[i]));
        }
        prompt += "Answer with one line per house, e.g. \"House 1: red, dog, tea\".";
        std::string answer;
        for (int h = 0; h < n; ++h) {
          answer += "House " + std::to_string(h + 1) + ":";
          for (int c = 0; c < cats; ++c) {
            for (int v = 0; v < n; ++v) {
              if (sol[c][v] == h) answer += std::string(c ? "," : "") + " " + Value(c, v);
            }
          }
          answer += "\n";
        }
        tasks::Task t;
        t.kind = "zebra";
        t.prompt = prompt;
        t.answer = answer;
        t.metadata =
            nlohmann::json{{"houses", n}, {"categories", categories}, {"clues", clue_json}}.dump();
        return t;
      });
}

StatusOr<VerifyResult> VerifyZebra(const tasks::Task& task, std::string_view response) {
  RL_ASSIGN_OR_RETURN(auto meta, Metadata(task));
  int n = 0;
  std::map<std::string, std::pair<int, int>> where;  // value → (category, index)
  std::vector<Clue> clues;
  int cats = 0;
  try {
    n = meta.at("houses").get<int>();
    for (auto it = meta.at("categories").begin(); it != meta.at("categories").end(); ++it, ++cats) {
      int v = 0;
      for (const auto& val : *it) where[val.get<std::string>()] = {cats, v++};
    }
    for (const auto& j : meta.at("clues")) {
      Clue k;
      k.type = j.at("type").get<std::string>();
      auto a = where.at(j.at("a").get<std::string>());
      k.ca = a.first;
      k.va = a.second;
      if (k.type == "pos") {
        k.house = j.at("house").get<int>() - 1;
      } else {
        auto b = where.at(j.at("b").get<std::string>());
        k.cb = b.first;
        k.vb = b.second;
      }
      clues.push_back(k);
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError("task " + task.id + ": zebra metadata: " + e.what());
  }
  // Parse "House i: v, v, v" lines (the last line for a house wins).
  Assignment a(cats, std::vector<int>(n, -1));
  std::string region = AnswerRegion(response);
  for (std::string& c : Split(region, '\n')) {
    for (char& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    size_t h = c.find("house");
    size_t colon = c.find(':', h == std::string::npos ? 0 : h);
    if (h == std::string::npos || colon == std::string::npos) continue;
    int house = std::atoi(c.substr(h + 5, colon - h - 5).c_str()) - 1;
    if (house < 0 || house >= n) return Judged(false, "house number out of range");
    for (auto& cat : a) {
      for (int& x : cat) {
        if (x == house) x = -1;
      }
    }
    std::string word;
    std::string rest = c.substr(colon + 1) + ",";
    for (char ch : rest) {
      if (std::isalpha(static_cast<unsigned char>(ch))) {
        word += ch;
      } else if (!word.empty()) {
        auto it = where.find(word);
        if (it == where.end()) return Judged(false, "unknown value '" + word + "'");
        a[it->second.first][it->second.second] = house;
        word.clear();
      }
    }
  }
  for (int c = 0; c < cats; ++c) {
    std::vector<bool> seen(n, false);
    for (int v = 0; v < n; ++v) {
      int h = a[c][v];
      if (h < 0) return Judged(false, "a value is not placed");
      if (seen[h]) return Judged(false, "two values of one category share a house");
      seen[h] = true;
    }
  }
  for (size_t i = 0; i < clues.size(); ++i) {
    if (!Holds(clues[i], a)) return Judged(false, "clue " + std::to_string(i + 1) + " is violated");
  }
  return Judged(true);
}

}  // namespace rl::rewards::puzzles
