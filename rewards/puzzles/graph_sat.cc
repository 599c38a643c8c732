// `shortest_path` (weighted undirected graphs) and `sat` (random 3-SAT with a planted
// solution).
#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <queue>
#include <random>
#include <set>

#include "rewards/puzzles/families.h"

namespace rl::rewards::puzzles {
namespace {

std::vector<long long> Integers(std::string_view s) {
  std::vector<long long> out;
  long long cur = 0;
  bool in = false;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      cur = cur * 10 + (c - '0');
      in = true;
      if (cur > 1000000000) return {};
    } else if (in) {
      out.push_back(cur);
      cur = 0;
      in = false;
    }
  }
  if (in) out.push_back(cur);
  return out;
}

long long Dijkstra(int n, const std::map<std::pair<int, int>, long long>& w, int s, int t) {
  std::vector<long long> dist(n, std::numeric_limits<long long>::max());
  using Item = std::pair<long long, int>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
  dist[s] = 0;
  q.push({0, s});
  while (!q.empty()) {
    auto [d, u] = q.top();
    q.pop();
    if (d > dist[u]) continue;
    for (const auto& [e, c] : w) {
      if (e.first != u) continue;
      if (d + c < dist[e.second]) {
        dist[e.second] = d + c;
        q.push({dist[e.second], e.second});
      }
    }
  }
  return dist[t];
}

}  // namespace

std::shared_ptr<TaskGenerator> MakeShortestPathGenerator() {
  return MakeGenerator(
      "shortest_path", {{"nodes", 6}, {"extra_edges", 4}, {"max_weight", 9}},
      [](uint64_t seed, const Params& p) -> StatusOr<tasks::Task> {
        RL_ASSIGN_OR_RETURN(int n, IntParam(p, "nodes", 2, 50));
        RL_ASSIGN_OR_RETURN(int extra, IntParam(p, "extra_edges", 0, 500));
        RL_ASSIGN_OR_RETURN(int max_w, IntParam(p, "max_weight", 1, 1000));
        std::mt19937_64 rng(seed);
        std::set<std::pair<int, int>> edges;
        for (int v = 1; v < n; ++v)
          edges.insert({static_cast<int>(rng() % v), v});  // spanning tree
        for (int i = 0; i < extra * 4 && static_cast<int>(edges.size()) < n - 1 + extra; ++i) {
          int a = static_cast<int>(rng() % n), b = static_cast<int>(rng() % n);
          if (a != b) edges.insert({std::min(a, b), std::max(a, b)});
        }
        nlohmann::json ej = nlohmann::json::array();
        std::map<std::pair<int, int>, long long> w;
        std::string listing;
        for (const auto& [a, b] : edges) {
          int c = 1 + static_cast<int>(rng() % max_w);
          ej.push_back({a, b, c});
          w[{a, b}] = c;
          w[{b, a}] = c;
          listing += std::to_string(a) + " - " + std::to_string(b) + " (weight " +
                     std::to_string(c) + ")\n";
        }
        tasks::Task t;
        t.kind = "shortest_path";
        t.prompt = "An undirected weighted graph has nodes 0.." + std::to_string(n - 1) +
                   " and edges:\n" + listing + "Give a shortest path from node 0 to node " +
                   std::to_string(n - 1) + " as the list of nodes, e.g. \\boxed{0 -> 3 -> 5}.";
        t.answer = std::to_string(Dijkstra(n, w, 0, n - 1));
        t.metadata =
            nlohmann::json{{"nodes", n}, {"edges", ej}, {"source", 0}, {"target", n - 1}}.dump();
        return t;
      });
}

StatusOr<VerifyResult> VerifyShortestPath(const tasks::Task& task, std::string_view response) {
  RL_ASSIGN_OR_RETURN(auto meta, Metadata(task));
  int n = 0, s = 0, t = 0;
  std::map<std::pair<int, int>, long long> w;
  try {
    n = meta.at("nodes").get<int>();
    s = meta.at("source").get<int>();
    t = meta.at("target").get<int>();
    for (const auto& e : meta.at("edges")) {
      int a = e.at(0).get<int>(), b = e.at(1).get<int>();
      long long c = e.at(2).get<long long>();
      if (a < 0 || b < 0 || a >= n || b >= n || c < 0) throw std::out_of_range("bad edge");
      for (auto key : {std::make_pair(a, b), std::make_pair(b, a)}) {
        auto it = w.find(key);
        if (it == w.end() || c < it->second) w[key] = c;
      }
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError("task " + task.id + ": shortest_path metadata: " + e.what());
  }
  long long best = Dijkstra(n, w, s, t);
  std::vector<long long> path = Integers(AnswerRegion(response));
  if (path.empty()) return Judged(false, "no path given");
  if (path.front() != s || path.back() != t)
    return Judged(false, "path must start at the source and end at the target");
  long long total = 0;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    auto it = w.find({static_cast<int>(path[i]), static_cast<int>(path[i + 1])});
    if (path[i] >= n || path[i + 1] >= n || it == w.end()) {
      return Judged(false,
                    "no edge " + std::to_string(path[i]) + "-" + std::to_string(path[i + 1]));
    }
    total += it->second;
  }
  if (total != best) {
    return Judged(false,
                  "path length " + std::to_string(total) + ", shortest is " + std::to_string(best));
  }
  return Judged(true);
}

std::shared_ptr<TaskGenerator> MakeSatGenerator() {
  return MakeGenerator("sat", {{"variables", 5}, {"clauses", 20}},
                       [](uint64_t seed, const Params& p) -> StatusOr<tasks::Task> {
                         RL_ASSIGN_OR_RETURN(int n, IntParam(p, "variables", 3, 100));
                         RL_ASSIGN_OR_RETURN(int m, IntParam(p, "clauses", 1, 2000));
                         std::mt19937_64 rng(seed);
                         std::vector<bool> planted(n + 1);
                         for (int i = 1; i <= n; ++i) planted[i] = rng() % 2;
                         nlohmann::json clauses = nlohmann::json::array();
                         std::string text;
                         while (static_cast<int>(clauses.size()) < m) {
                           std::set<int> vars;
                           while (vars.size() < 3) vars.insert(1 + static_cast<int>(rng() % n));
                           std::vector<int> clause;
                           bool sat = false;
                           for (int v : vars) {
                             int lit = rng() % 2 ? v : -v;
                             sat = sat || (lit > 0) == planted[v];
                             clause.push_back(lit);
                           }
                           if (!sat) continue;
                           clauses.push_back(clause);
                           std::string c;
                           for (int lit : clause)
                             c += (c.empty() ? "" : " OR ") + std::string(lit < 0 ? "NOT " : "") +
                                  "x" + std::to_string(std::abs(lit));
                           text += "(" + c + ")\n";
                         }
                         std::string answer;
                         for (int i = 1; i <= n; ++i)
                           answer += (i > 1 ? ", " : "") + std::string("x") + std::to_string(i) +
                                     "=" + (planted[i] ? "1" : "0");
                         tasks::Task t;
                         t.kind = "sat";
                         t.prompt = "Find values (0 or 1) of x1..x" + std::to_string(n) +
                                    " satisfying every clause:\n" + text +
                                    "Answer like \\boxed{x1=1, x2=0, ...}.";
                         t.answer = answer;
                         t.metadata = nlohmann::json{{"variables", n}, {"clauses", clauses}}.dump();
                         return t;
                       });
}

StatusOr<VerifyResult> VerifySat(const tasks::Task& task, std::string_view response) {
  RL_ASSIGN_OR_RETURN(auto meta, Metadata(task));
  int n = 0;
  std::vector<std::vector<int>> clauses;
  try {
    n = meta.at("variables").get<int>();
    clauses = meta.at("clauses").get<std::vector<std::vector<int>>>();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError("task " + task.id + ": sat metadata: " + e.what());
  }
  // "x3=1" / "x3 = true" pairs; each variable exactly once.
  std::string region = AnswerRegion(response);
  std::string low;
  for (char c : region) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<int> value(n + 1, -1);
  size_t pos = 0;
  while ((pos = low.find('x', pos)) != std::string::npos) {
    size_t start = pos + 1, i = start;
    long long var = 0;
    while (i < low.size() && std::isdigit(static_cast<unsigned char>(low[i])))
      var = std::min(var * 10 + (low[i++] - '0'), 1000000LL);
    pos = i;
    if (i == start) continue;  // an 'x' inside a word
    while (i < low.size() && low[i] == ' ') ++i;
    if (i >= low.size() || low[i] != '=') continue;
    ++i;
    while (i < low.size() && low[i] == ' ') ++i;
    int v = -1;
    if (low.compare(i, 4, "true") == 0 || low.compare(i, 1, "1") == 0) v = 1;
    if (low.compare(i, 5, "false") == 0 || low.compare(i, 1, "0") == 0) v = 0;
    if (var < 1 || var > n || v < 0)
      return Judged(false, "bad assignment near '" + low.substr(pos > 8 ? pos - 8 : 0, 16) + "'");
    if (value[var] != -1 && value[var] != v)
      return Judged(false, "x" + std::to_string(var) + " assigned twice");
    value[var] = v;
  }
  for (int i = 1; i <= n; ++i) {
    if (value[i] < 0) return Judged(false, "x" + std::to_string(i) + " is not assigned");
  }
  for (size_t c = 0; c < clauses.size(); ++c) {
    bool sat = false;
    for (int lit : clauses[c]) {
      int v = std::abs(lit);
      if (v < 1 || v > n)
        return absl::InvalidArgumentError("task " + task.id + ": literal out of range");
      sat = sat || (lit > 0) == (value[v] == 1);
    }
    if (!sat) return Judged(false, "clause " + std::to_string(c + 1) + " is unsatisfied");
  }
  return Judged(true);
}

}  // namespace rl::rewards::puzzles
