#include "rewards/swe_verifier.h"

#include <filesystem>
#include <mutex>

#include "sandbox/swe/instance.h"
#include "sandbox/swe/runner.h"

namespace rl::rewards {
namespace {

using nlohmann::json;

class SweVerifier : public Verifier {
 public:
  std::string name() const override { return "swe"; }

  StatusOr<VerifyResult> Verify(const VerifyInput& input) override {
    const tasks::Task& task = *input.task;
    const std::string where = "task " + task.id + ": swe metadata: ";
    json m = json::parse(task.metadata.empty() ? "{}" : task.metadata, nullptr, false);
    if (m.is_discarded() || !m.is_object())
      return absl::InvalidArgumentError(where + "not a JSON object");
    swe::Instance inst;
    if (m.contains("instance")) {
      std::string base = m.value("base_dir", std::string("."));
      auto parsed = swe::ParseInstanceLine(m["instance"].dump(), "metadata", 1, base);
      if (!parsed.ok())
        return absl::InvalidArgumentError(where + std::string(parsed.status().message()));
      inst = std::move(*parsed);
    } else if (m.contains("instances_file") && m.contains("instance_id")) {
      if (!m["instances_file"].is_string() || !m["instance_id"].is_string())
        return absl::InvalidArgumentError(where + "instances_file and instance_id must be strings");
      auto found =
          Lookup(m["instances_file"].get<std::string>(), m["instance_id"].get<std::string>());
      if (!found.ok())
        return absl::InvalidArgumentError(where + std::string(found.status().message()));
      inst = std::move(*found);
    } else {
      return absl::InvalidArgumentError(
          where + "needs \"instance\" or \"instances_file\" + \"instance_id\"");
    }
    std::string_view response = input.response;
    size_t think = response.rfind("</think>");
    if (think != std::string_view::npos) response = response.substr(think + 8);
    std::string patch = swe::ExtractPatch(response);
    auto r = swe::Run(inst, patch);
    if (!r.ok()) return r.status();
    VerifyResult out;
    out.reward = r->reward;
    out.correct = r->outcome == "resolved";
    out.details = swe::EvalResultToJson(*r);
    return out;
  }

 private:
  StatusOr<swe::Instance> Lookup(const std::string& file, const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(file);
    if (it == cache_.end()) {
      auto insts = swe::ReadInstances(file);
      if (!insts.ok()) return insts.status();
      it = cache_.emplace(file, std::move(*insts)).first;
    }
    for (const swe::Instance& i : it->second)
      if (i.instance_id == id) return i;
    return absl::NotFoundError(file + ": no instance '" + id + "'");
  }

  std::mutex mu_;
  std::map<std::string, std::vector<swe::Instance>> cache_;
};

}  // namespace

std::shared_ptr<Verifier> MakeSweVerifier() { return std::make_shared<SweVerifier>(); }

}  // namespace rl::rewards
