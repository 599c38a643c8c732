// Registration of the built-in generators and puzzle verifiers.
#include "rewards/puzzles/families.h"

namespace rl::rewards::puzzles {
namespace {

class FnGenerator : public TaskGenerator {
 public:
  FnGenerator(std::string name, Params defaults,
              std::function<StatusOr<tasks::Task>(uint64_t, const Params&)> make)
      : name_(std::move(name)), defaults_(std::move(defaults)), make_(std::move(make)) {}
  std::string name() const override { return name_; }
  Params defaults() const override { return defaults_; }
  StatusOr<tasks::Task> Make(uint64_t seed, const Params& p) const override {
    return make_(seed, p);
  }

 private:
  std::string name_;
  Params defaults_;
  std::function<StatusOr<tasks::Task>(uint64_t, const Params&)> make_;
};

}  // namespace

std::shared_ptr<TaskGenerator> MakeGenerator(
    std::string name, Params defaults,
    std::function<StatusOr<tasks::Task>(uint64_t, const Params&)> make) {
  return std::make_shared<FnGenerator>(std::move(name), std::move(defaults), std::move(make));
}

StatusOr<int> IntParam(const Params& p, const std::string& key, int lo, int hi) {
  auto it = p.find(key);
  if (it == p.end()) return absl::InvalidArgumentError("missing param '" + key + "'");
  double v = it->second;
  if (v != static_cast<double>(static_cast<long long>(v)) || v < lo || v > hi) {
    return absl::InvalidArgumentError("param '" + key + "' must be an integer in [" +
                                      std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                                      std::to_string(v));
  }
  return static_cast<int>(v);
}

Status RegisterBuiltinGenerators(GeneratorRegistry& registry) {
  for (auto g : {MakeArithmeticGenerator(), MakeCountdownGenerator(), MakeSudokuGenerator(),
                 MakeCipherGenerator(), MakeZebraGenerator(), MakeShortestPathGenerator(),
                 MakeSatGenerator()}) {
    RL_RETURN_IF_ERROR(registry.Register(std::move(g)));
  }
  return absl::OkStatus();
}

Status RegisterPuzzleVerifiers(VerifierRegistry& registry) {
  using Fn = StatusOr<VerifyResult> (*)(const tasks::Task&, std::string_view);
  const std::pair<const char*, Fn> kFamilies[] = {{"countdown", VerifyCountdown},
                                                  {"sudoku", VerifySudoku},
                                                  {"cipher", VerifyCipher},
                                                  {"zebra", VerifyZebra},
                                                  {"shortest_path", VerifyShortestPath},
                                                  {"sat", VerifySat}};
  for (const auto& [name, fn] : kFamilies) {
    Fn f = fn;
    RL_RETURN_IF_ERROR(registry.Register(MakeFunctionVerifier(
        name, [f](const VerifyInput& in) { return f(*in.task, in.response); })));
  }
  return absl::OkStatus();
}

}  // namespace rl::rewards::puzzles
