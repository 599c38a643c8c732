// Verifier throughput: math checks per second by answer family on one thread, the
// verifier-DoS inputs (time per check), the VerifierPool with 1 and 2 threads, and one
// puzzle verifier per family. Prints Markdown tables (docs/rewards.md quotes them).
//
//   rewards_bench [--seconds S]   (default 0.5 s per row)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "rewards/code/code_verifier.h"
#include "rewards/math/math_verifier.h"
#include "rewards/puzzles/families.h"
#include "rewards/verifier_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
using rl::rewards::math::JudgeMath;
using rl::rewards::math::MathOptions;

double g_seconds = 0.5;

// Runs fn repeatedly for g_seconds; returns calls per second.
template <class F>
double Rate(F&& fn) {
  auto start = Clock::now();
  long long n = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 16; ++i) fn();
    n += 16;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < g_seconds);
  return static_cast<double>(n) / elapsed;
}

struct Row {
  const char* family;
  std::string reference, response;
};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0) g_seconds = std::atof(argv[i + 1]);
  }
  std::string ten_mb(10 << 20, '9');
  std::string long_think = "<think>" + std::string(100000, 'x') + "</think> \\boxed{42}";
  std::vector<Row> rows = {
      {"integer", "42", "The answer is \\boxed{42}."},
      {"fraction vs decimal", "\\frac{3}{4}", "so \\boxed{0.75}"},
      {"LaTeX normalisation", "30", "\\boxed{30^{\\circ}\\text{ degrees}}"},
      {"sqrt / pi numeric", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{1}{\\sqrt{2}}}"},
      {"symbolic (6 points)", "(x+1)^2", "\\boxed{x^2+2x+1}"},
      {"equation", "y=2x+1", "\\boxed{2x-y+1=0}"},
      {"set of 4", "\\{1,2,3,4\\}", "\\boxed{\\{4,3,2,1\\}}"},
      {"interval union", "(-\\infty,0)\\cup(1,\\infty)", "\\boxed{(1,\\infty)\\cup(-\\infty,0)}"},
      {"hedged boxes", "5", "\\boxed{5} or \\boxed{6}"},
      {"worked-solution reference", "We add, so the answer is 12.", "\\boxed{12}"},
      {"100 KB response", "42", long_think},
      {"DoS: 9^{9^{9^9}}", "5", "\\boxed{9^{9^{9^9}}}"},
      {"DoS: 1000000!", "5", "\\boxed{1000000!}"},
      {"DoS: 10k nested braces", "5",
       "\\boxed{" + std::string(10000, '{') + "5" + std::string(10000, '}') + "}"},
      {"DoS: 10 MB answer", "5", "\\boxed{" + ten_mb + "}"},
  };
  MathOptions opt;
  std::printf("| math case | checks/s (1 thread) | µs/check | correct |\n|---|---:|---:|---|\n");
  for (const auto& r : rows) {
    bool correct = JudgeMath(r.reference, r.response, opt).correct;
    double rate = Rate([&] { (void)JudgeMath(r.reference, r.response, opt); });
    std::printf("| %s | %.0f | %.1f | %s |\n", r.family, rate, 1e6 / rate, correct ? "yes" : "no");
  }

  // The pool: a batch of 256 mixed math checks.
  rl::rewards::VerifierRegistry reg;
  if (!rl::rewards::RegisterBuiltinVerifiers(reg).ok()) return 1;
  std::vector<rl::tasks::Task> tasks;
  std::vector<std::string> responses;
  for (int i = 0; i < 256; ++i) {
    const Row& r = rows[i % 10];
    tasks.push_back({"t" + std::to_string(i), "math", "", r.reference, "{}"});
    responses.push_back(r.response);
  }
  std::vector<rl::rewards::VerifyInput> inputs(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    inputs[i].task = &tasks[i];
    inputs[i].response = responses[i];
  }
  std::printf(
      "\n| VerifierPool threads | math checks/s (batches of 256, 10 mixed cases) |\n|---:|---:|\n");
  for (int k : {1, 2}) {
    auto pool = rl::rewards::VerifierPool::Create(reg, {{{"math", "math"}}, 0.0f, 10.0, k});
    if (!pool.ok()) return 1;
    double rate = Rate([&] { (void)(*pool)->VerifyBatch(inputs); }) * 256;
    std::printf("| %d | %.0f |\n", k, rate);
  }

  // Puzzle verifiers on generated tasks with the generator's own solution.
  rl::rewards::puzzles::GeneratorRegistry gens;
  if (!rl::rewards::puzzles::RegisterBuiltinGenerators(gens).ok()) return 1;
  struct P {
    const char* name;
    rl::rewards::puzzles::Params params;
  };
  std::printf("\n| puzzle family (default params) | checks/s (1 thread) |\n|---|---:|\n");
  for (const P& p : {P{"countdown", {}}, P{"sudoku", {{"size", 9}, {"holes", 45}}}, P{"cipher", {}},
                     P{"zebra", {}}, P{"shortest_path", {}}, P{"sat", {}}}) {
    auto t = rl::rewards::puzzles::Generate(gens, p.name, p.params, 1, 1);
    if (!t.ok()) return 1;
    auto v = reg.Get(p.name);
    if (!v.ok()) return 1;
    std::string resp = "\\boxed{" + (*t)[0].answer + "}";
    if (std::string(p.name) == "zebra" || std::string(p.name) == "shortest_path")
      resp = (*t)[0].answer;
    rl::rewards::VerifyInput in;
    in.task = &(*t)[0];
    in.response = resp;
    double rate = Rate([&] { (void)(*v)->Verify(in); });
    std::printf("| %s | %.0f |\n", p.name, rate);
  }

  // Code verifier: a correct program on 3 stdin/stdout tests, sandboxes K = 1 and 2.
  std::printf(
      "\n| code verifier (3 tests per response) | sandboxes | responses/s | tests/s "
      "|\n|---|---:|---:|---:|\n");
  rl::tasks::Task code_task{
      "c", "code", "", "",
      R"({"tests":[{"input":"1 2","output":"3"},{"input":"5 5","output":"10"},)"
      R"({"input":"7 -7","output":"0"}]})"};
  struct Prog {
    const char* lang;
    std::string response;
  };
  for (const Prog& prog :
       {Prog{"python", "```python\na,b=map(int,input().split())\nprint(a+b)\n```"},
        Prog{"cpp (compile + run)",
             "```cpp\n#include <iostream>\nint main(){long long "
             "a,b;std::cin>>a>>b;std::cout<<a+b<<\"\\n\";}\n```"}}) {
    for (int k : {1, 2}) {
      rl::rewards::code::CodeOptions co;
      co.sandboxes = k;
      auto v = rl::rewards::code::MakeCodeVerifier(co);
      rl::rewards::VerifyInput in;
      in.task = &code_task;
      in.response = prog.response;
      const int kCalls = 4;
      auto start = Clock::now();
      for (int i = 0; i < kCalls; ++i) {
        auto r = v->Verify(in);
        if (!r.ok() || !r->correct.value_or(false)) {
          std::printf("| %s | %d | error: %s | |\n", prog.lang, k,
                      r.ok() ? r->details.dump().c_str() : r.status().ToString().c_str());
          break;
        }
      }
      double sec = std::chrono::duration<double>(Clock::now() - start).count();
      std::printf("| %s | %d | %.2f | %.1f |\n", prog.lang, k, kCalls / sec, 3 * kCalls / sec);
    }
  }
  return 0;
}
