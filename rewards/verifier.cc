#include "rewards/verifier.h"

#include "rl/core/strings.h"

namespace rl::rewards {

nlohmann::json ResultToJson(const VerifyResult& r) {
  nlohmann::json j;
  j["reward"] = r.reward;
  j["correct"] = r.correct ? nlohmann::json(*r.correct) : nlohmann::json(nullptr);
  j["details"] = r.details;
  if (r.alert) j["alert"] = true;
  return j;
}

Status VerifierRegistry::Register(std::shared_ptr<Verifier> verifier) {
  if (verifier == nullptr) return absl::InvalidArgumentError("Register: null verifier");
  std::string name = verifier->name();
  if (name.empty()) return absl::InvalidArgumentError("Register: verifier has an empty name");
  std::lock_guard<std::mutex> lock(mu_);
  if (verifiers_.count(name)) {
    return absl::AlreadyExistsError("verifier '" + name + "' is already registered");
  }
  verifiers_.emplace(std::move(name), std::move(verifier));
  return absl::OkStatus();
}

void VerifierRegistry::RegisterOrReplace(std::shared_ptr<Verifier> verifier) {
  std::string name = verifier->name();
  std::lock_guard<std::mutex> lock(mu_);
  verifiers_[name] = std::move(verifier);
}

StatusOr<std::shared_ptr<Verifier>> VerifierRegistry::Get(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = verifiers_.find(name);
  if (it != verifiers_.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [n, v] : verifiers_) names.push_back(n);
  std::string hint = DidYouMean(name, names);
  return absl::NotFoundError("unknown verifier '" + std::string(name) + "'" +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                             "; known: " + Join(names, ", "));
}

std::vector<std::string> VerifierRegistry::Names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> names;
  for (const auto& [n, v] : verifiers_) names.push_back(n);
  return names;
}

namespace {

class FunctionVerifier : public Verifier {
 public:
  FunctionVerifier(std::string name, std::function<StatusOr<VerifyResult>(const VerifyInput&)> fn)
      : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  StatusOr<VerifyResult> Verify(const VerifyInput& input) override { return fn_(input); }

 private:
  std::string name_;
  std::function<StatusOr<VerifyResult>(const VerifyInput&)> fn_;
};

}  // namespace

std::shared_ptr<Verifier> MakeFunctionVerifier(
    std::string name, std::function<StatusOr<VerifyResult>(const VerifyInput&)> fn) {
  return std::make_shared<FunctionVerifier>(std::move(name), std::move(fn));
}

}  // namespace rl::rewards
