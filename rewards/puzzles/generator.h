// Procedural task generators (logic-puzzle families and arithmetic) and their registry, so
// a YAML task source can say `generator: sudoku` with `params: {size: 4, holes: 6}`.
// A generator is deterministic in (seed, params): the same pair always yields the same
// task record; puzzle data travels in task.metadata, the generator's own solution in
// task.answer (for display only — the family verifiers check validity from the metadata and
// accept ANY valid solution). Generators are stateless and thread-safe; the registry is
// thread-safe after construction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "rewards/verifier.h"
#include "rl/core/status.h"
#include "rl/tasks/task.h"

namespace rl::rewards::puzzles {

using Params = std::map<std::string, double>;

class TaskGenerator {
 public:
  virtual ~TaskGenerator() = default;
  virtual std::string name() const = 0;
  // Parameter names and defaults; unknown parameters are an error naming these.
  virtual Params defaults() const = 0;
  // params already merged with defaults and range-checked by Generate below.
  virtual StatusOr<tasks::Task> Make(uint64_t seed, const Params& params) const = 0;
};

class GeneratorRegistry {
 public:
  Status Register(std::shared_ptr<TaskGenerator> g);
  StatusOr<std::shared_ptr<TaskGenerator>> Get(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::shared_ptr<TaskGenerator>, std::less<>> generators_;
};

// `count` tasks with seeds seed, seed+1, …; ids are "<generator>-<seed>". Unknown params
// give InvalidArgument naming the generator and the known keys.
StatusOr<std::vector<tasks::Task>> Generate(const GeneratorRegistry& registry,
                                            std::string_view generator, const Params& params,
                                            int64_t count, uint64_t seed);

// arithmetic, countdown, sudoku, cipher, zebra, shortest_path, sat.
Status RegisterBuiltinGenerators(GeneratorRegistry& registry);
// One verifier per puzzle family, named like the family (the task kind).
Status RegisterPuzzleVerifiers(VerifierRegistry& registry);

// ---- helpers shared by the families (puzzle_util.cc) ----

// The part of a response that holds its final answer: after the last </think>; the last
// \boxed{…} if any, else the text after the last "answer:"/"answer is", else the whole rest.
std::string AnswerRegion(std::string_view response);
// Parses task.metadata (a JSON object) or fails naming the task id.
StatusOr<nlohmann::json> Metadata(const tasks::Task& task);
VerifyResult Judged(bool correct, std::string reason = "");

}  // namespace rl::rewards::puzzles
