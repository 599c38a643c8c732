#include "rewards/math/extract.h"
#include "rewards/puzzles/generator.h"
#include "rl/core/strings.h"

namespace rl::rewards::puzzles {

Status GeneratorRegistry::Register(std::shared_ptr<TaskGenerator> g) {
  std::string n = g->name();
  if (!generators_.emplace(n, std::move(g)).second) {
    return absl::AlreadyExistsError("generator '" + n + "' is already registered");
  }
  return absl::OkStatus();
}

StatusOr<std::shared_ptr<TaskGenerator>> GeneratorRegistry::Get(std::string_view name) const {
  auto it = generators_.find(name);
  if (it != generators_.end()) return it->second;
  std::string hint = DidYouMean(name, Names());
  return absl::NotFoundError("unknown generator '" + std::string(name) + "'" +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                             "; known: " + Join(Names(), ", "));
}

std::vector<std::string> GeneratorRegistry::Names() const {
  std::vector<std::string> out;
  for (const auto& [n, g] : generators_) out.push_back(n);
  return out;
}

StatusOr<std::vector<tasks::Task>> Generate(const GeneratorRegistry& registry,
                                            std::string_view generator, const Params& params,
                                            int64_t count, uint64_t seed) {
  RL_ASSIGN_OR_RETURN(auto g, registry.Get(generator));
  Params merged = g->defaults();
  for (const auto& [k, v] : params) {
    if (!merged.count(k)) {
      std::vector<std::string> known;
      for (const auto& [dk, dv] : merged) known.push_back(dk);
      return absl::InvalidArgumentError("generator '" + std::string(generator) +
                                        "': unknown param '" + k +
                                        "' (known: " + Join(known, ", ") + ")");
    }
    merged[k] = v;
  }
  std::vector<tasks::Task> out;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t s = seed + static_cast<uint64_t>(i);
    auto t = g->Make(s, merged);
    if (!t.ok()) {
      return absl::InvalidArgumentError("generator '" + std::string(generator) +
                                        "': " + std::string(t.status().message()));
    }
    t->id = std::string(generator) + "-" + std::to_string(s);
    out.push_back(std::move(*t));
  }
  return out;
}

std::string AnswerRegion(std::string_view response) {
  size_t think = response.rfind("</think>");
  if (think != std::string_view::npos) response = response.substr(think + 8);
  math::ExtractOptions o;
  o.max_answer_chars = 20000;
  auto boxed = math::ExtractBoxed(response, o);
  if (!boxed.empty()) return boxed.back();
  std::string low(response);
  for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view p : {"answer is", "answer:"}) {
    size_t at = low.rfind(p);
    if (at != std::string::npos) return std::string(response.substr(at + p.size()));
  }
  return std::string(response);
}

StatusOr<nlohmann::json> Metadata(const tasks::Task& task) {
  try {
    auto j = nlohmann::json::parse(task.metadata.empty() ? "{}" : task.metadata);
    if (!j.is_object())
      return absl::InvalidArgumentError("task " + task.id + ": metadata is not an object");
    return j;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError("task " + task.id + ": metadata: " + e.what());
  }
}

VerifyResult Judged(bool correct, std::string reason) {
  VerifyResult r;
  r.correct = correct;
  r.reward = correct ? 1.0f : 0.0f;
  if (!reason.empty()) r.details["reason"] = std::move(reason);
  return r;
}

}  // namespace rl::rewards::puzzles
