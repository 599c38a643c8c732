#include "rewards/math/math_verifier.h"

namespace rl::rewards::math {
namespace {

// Parses every candidate and merges mutually equivalent ones; several distinct answers
// become one set.
StatusOr<Answer> CombineCandidates(const std::vector<std::string>& raw, const EquivOptions& opt,
                                   nlohmann::json* details, const char* key) {
  std::vector<Answer> distinct;
  for (const auto& r : raw) {
    RL_ASSIGN_OR_RETURN(Answer a, ReadAnswer(r));
    bool dup = false;
    for (const auto& d : distinct) dup = dup || Equivalent(d, a, opt, nullptr);
    if (!dup) distinct.push_back(std::move(a));
    if (distinct.size() > 64) return absl::InvalidArgumentError("too many distinct answers");
  }
  if (distinct.empty()) return absl::InvalidArgumentError("no answer found");
  nlohmann::json texts = nlohmann::json::array();
  for (const auto& d : distinct) texts.push_back(d.text);
  (*details)[key] = texts;
  if (distinct.size() == 1) return std::move(distinct[0]);
  Answer set;
  set.kind = Answer::Kind::kSet;
  for (auto& d : distinct) {
    if (!set.text.empty()) set.text += ",";
    set.text += d.text;
  }
  // A set of sets is flattened so "\boxed{1}, \boxed{2}" and "\boxed{1,2}" read alike.
  for (auto& d : distinct) {
    if (d.kind == Answer::Kind::kSet) {
      for (auto& item : d.items) set.items.push_back(std::move(item));
    } else {
      set.items.push_back(std::move(d));
    }
  }
  return set;
}

}  // namespace

StatusOr<MathOptions> MathOptionsFromJson(const nlohmann::json& j) {
  MathOptions o;
  if (j.is_null()) return o;
  if (!j.is_object()) return absl::InvalidArgumentError("math options must be a JSON object");
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if (k == "last_number_fallback") {
        o.extract.last_number_fallback = it->get<bool>();
      } else if (k == "decimal_rel_tol") {
        o.equiv.decimal_rel_tol = it->get<double>();
      } else if (k == "points") {
        o.equiv.points = it->get<int>();
      } else if (k == "max_response_bytes") {
        o.max_response_bytes = it->get<size_t>();
      } else {
        return absl::InvalidArgumentError("math options: unknown key '" + k + "'");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(std::string("math options: ") + e.what());
  }
  return o;
}

MathJudgement JudgeMath(std::string_view reference, std::string_view response,
                        const MathOptions& options) {
  MathJudgement out;
  auto& d = out.details;
  if (response.size() > options.max_response_bytes) {
    d["reason"] = "response larger than " + std::to_string(options.max_response_bytes) + " bytes";
    return out;
  }
  Extraction ref_ex = ExtractReference(reference, options.extract);
  Extraction resp_ex = ExtractFinalAnswer(response, options.extract);
  d["method"] = resp_ex.method;
  if (resp_ex.truncated) d["truncated"] = true;
  if (resp_ex.answers.empty()) {
    d["reason"] = "no final answer found";
    return out;
  }
  auto ref = CombineCandidates(ref_ex.answers, options.equiv, &d, "reference");
  if (!ref.ok()) {
    d["reason"] = "reference unreadable: " + std::string(ref.status().message());
    return out;
  }
  auto resp = CombineCandidates(resp_ex.answers, options.equiv, &d, "extracted");
  if (!resp.ok()) {
    d["reason"] = "answer unreadable: " + std::string(resp.status().message());
    return out;
  }
  std::string why;
  out.correct = Equivalent(*ref, *resp, options.equiv, &why);
  if (!out.correct) d["reason"] = why.empty() ? "not equivalent" : why;
  return out;
}

namespace {

class MathVerifier : public Verifier {
 public:
  MathVerifier(MathOptions o, std::string name) : options_(o), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  StatusOr<VerifyResult> Verify(const VerifyInput& in) override {
    MathOptions o = options_;
    o.equiv.deadline = in.deadline;
    MathJudgement j = JudgeMath(in.task->answer, in.response, o);
    VerifyResult r;
    r.correct = j.correct;
    r.reward = j.correct ? 1.0f : 0.0f;
    r.details = std::move(j.details);
    return r;
  }

 private:
  MathOptions options_;
  std::string name_;
};

}  // namespace

std::shared_ptr<Verifier> MakeMathVerifier(MathOptions options, std::string name) {
  return std::make_shared<MathVerifier>(options, std::move(name));
}

}  // namespace rl::rewards::math
