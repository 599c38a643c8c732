#include "rewards/shaping.h"

#include <cctype>

namespace rl::rewards {

bool FollowsThinkFormat(std::string_view r) {
  size_t i = 0;
  while (i < r.size() && std::isspace(static_cast<unsigned char>(r[i]))) ++i;
  r.remove_prefix(i);
  constexpr std::string_view kOpen = "<think>", kClose = "</think>";
  if (r.substr(0, kOpen.size()) != kOpen) return false;
  size_t close = r.find(kClose);
  if (close == std::string_view::npos) return false;
  // Exactly one block: no second opening or closing tag anywhere.
  if (r.find(kOpen, kOpen.size()) != std::string_view::npos) return false;
  if (r.find(kClose, close + kClose.size()) != std::string_view::npos) return false;
  std::string_view answer = r.substr(close + kClose.size());
  for (char c : answer) {
    if (!std::isspace(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

double OverlongPenalty(int64_t tokens, int64_t budget, int64_t buffer, double penalty) {
  if (buffer <= 0 || budget <= 0 || tokens < 0) return 0.0;
  int64_t expected = budget - buffer;
  if (tokens <= expected) return 0.0;
  if (tokens > budget) return -penalty;
  return -penalty * static_cast<double>(tokens - expected) / static_cast<double>(buffer);
}

namespace {

class ShapedVerifier : public Verifier {
 public:
  ShapedVerifier(std::shared_ptr<Verifier> base, ShapingOptions o)
      : base_(std::move(base)), options_(o) {}
  std::string name() const override { return base_->name(); }
  StatusOr<VerifyResult> Verify(const VerifyInput& in) override {
    RL_ASSIGN_OR_RETURN(VerifyResult r, base_->Verify(in));
    nlohmann::json shaping = nlohmann::json::object();
    shaping["base_reward"] = r.reward;
    if (options_.format_weight != 0.0) {
      bool ok = FollowsThinkFormat(in.response);
      shaping["format_ok"] = ok;
      r.reward += static_cast<float>(options_.format_weight * (ok ? 1.0 : 0.0));
    }
    if (options_.overlong_buffer > 0) {
      double p = OverlongPenalty(in.response_tokens, in.budget_tokens, options_.overlong_buffer,
                                 options_.overlong_penalty);
      shaping["overlong_penalty"] = p;
      r.reward += static_cast<float>(p);
    }
    r.details["shaping"] = shaping;
    return r;
  }

 private:
  std::shared_ptr<Verifier> base_;
  ShapingOptions options_;
};

}  // namespace

std::shared_ptr<Verifier> WithShaping(std::shared_ptr<Verifier> base, ShapingOptions options) {
  if (options.format_weight == 0.0 && options.overlong_buffer <= 0) return base;
  return std::make_shared<ShapedVerifier>(std::move(base), options);
}

}  // namespace rl::rewards
