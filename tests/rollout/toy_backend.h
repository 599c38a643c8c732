// A deterministic stand-in for the model in scheduler tests: each slot's "state" is its token
// prefix; the logits of a prefix are a hash of (prefix, weight "toy.w") mapped into [0, 10),
// plus "toy.repeat" added to the logit of the previous token (a pathological repeater when
// large). Records every batched step so tests can check how sequences were batched.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "rollout/backend.h"

namespace rl::rollout::testing {

class ToyBackend : public Backend {
 public:
  ToyBackend(int64_t vocab, int64_t eos, bool with_model = true) : V_(vocab), eos_(eos) {
    if (with_model) has_model_ = true;
  }

  bool has_model() const override { return has_model_; }
  int64_t vocab_size() const override { return V_; }
  int64_t max_position() const override { return max_position_; }
  int64_t eos_token_id() const override { return eos_; }
  int64_t num_parameters() const override { return 2; }
  int64_t StateBytes(int64_t max_tokens) const override { return 1000 + 4 * max_tokens; }

  Status Start(int slot, int64_t max_tokens, std::span<const int32_t> prompt,
               std::span<float> logits) override {
    auto& s = slots_[slot];
    if (!s.empty()) return absl::InternalError("slot in use");
    s.assign(prompt.begin(), prompt.end());
    capacity_[slot] = max_tokens;
    Logits(s, logits.data());
    ++starts_;
    return absl::OkStatus();
  }

  Status Step(std::span<const int> slots, std::span<const int32_t> tokens,
              std::span<float> logits) override {
    step_sizes_.push_back(static_cast<int>(slots.size()));
    step_versions_.push_back(version_);
    for (size_t b = 0; b < slots.size(); ++b) {
      auto& s = slots_.at(slots[b]);
      if (s.empty()) return absl::InternalError("step on a free slot");
      s.push_back(tokens[b]);
      if (static_cast<int64_t>(s.size()) > capacity_[slots[b]]) {
        return absl::OutOfRangeError("capacity exceeded");
      }
      Logits(s, logits.data() + b * V_);
    }
    return absl::OkStatus();
  }

  void Release(int slot) override { slots_[slot].clear(); }
  bool NeedsRestart(const WeightUpdate& u) const override { return !u.config_json.empty(); }
  Status Apply(WeightUpdate& u) override {
    auto w = u.params.find("toy.w");
    if (w == u.params.end()) return absl::InvalidArgumentError("toy.w missing");
    w_ = w->second.data.at(0);
    auto r = u.params.find("toy.repeat");
    repeat_ = r == u.params.end() ? 0.0f : r->second.data.at(0);
    has_model_ = true;
    version_ = u.version;
    return absl::OkStatus();
  }

  // The logits of a prefix, as a pure function (the reference the tests use too).
  void Logits(const std::vector<int32_t>& prefix, float* out) const {
    uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(w_ * 1000.0f);
    for (int32_t t : prefix) h = (h ^ static_cast<uint64_t>(t + 1)) * 1099511628211ull;
    for (int64_t v = 0; v < V_; ++v) {
      uint64_t x = (h ^ static_cast<uint64_t>(v * 7919 + 13)) * 0x9E3779B97F4A7C15ull;
      x ^= x >> 29;
      out[v] = static_cast<float>(x % 10000) / 1000.0f;
    }
    out[prefix.back()] += repeat_;
  }

  static WeightUpdate Weights(int64_t version, float w, float repeat = 0.0f) {
    WeightUpdate u;
    u.version = version;
    u.params["toy.w"] = {{1}, {w}};
    u.params["toy.repeat"] = {{1}, {repeat}};
    return u;
  }

  int64_t max_position_ = 1 << 20;
  std::vector<int> step_sizes_;
  std::vector<int64_t> step_versions_;
  int starts_ = 0;

 private:
  int64_t V_, eos_;
  bool has_model_ = false;
  float w_ = 0.0f, repeat_ = 0.0f;
  int64_t version_ = 0;
  std::map<int, std::vector<int32_t>> slots_;
  std::map<int, int64_t> capacity_;
};

}  // namespace rl::rollout::testing
