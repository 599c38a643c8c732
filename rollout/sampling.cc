#include "rollout/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rl/kernels/log_softmax.h"

namespace rl::rollout {
namespace {

int64_t Limit(std::span<const float> logits, int64_t vocab_limit) {
  const int64_t v = static_cast<int64_t>(logits.size());
  return vocab_limit > 0 ? std::min(v, vocab_limit) : v;
}

bool Usable(float z) { return !std::isnan(z) && z != -std::numeric_limits<float>::infinity(); }

}  // namespace

Status ValidateSamplingParams(const SamplingParams& p) {
  if (!(p.temperature >= 0) || std::isinf(p.temperature)) {
    return absl::InvalidArgumentError("sampling: temperature must be >= 0 and finite");
  }
  if (!(p.top_p > 0 && p.top_p <= 1)) return absl::InvalidArgumentError("sampling: top_p must be in (0, 1]");
  if (p.top_k < 0) return absl::InvalidArgumentError("sampling: top_k must be >= 0");
  if (!(p.min_p >= 0 && p.min_p <= 1)) return absl::InvalidArgumentError("sampling: min_p must be in [0, 1]");
  if (p.vocab_limit < 0) return absl::InvalidArgumentError("sampling: vocab_limit must be >= 0");
  return absl::OkStatus();
}

double FullLogProb(std::span<const float> logits, double temperature, int64_t vocab_limit, int32_t token) {
  const int64_t n = Limit(logits, vocab_limit);
  const double t = temperature > 0 ? temperature : 1.0;
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    if (Usable(logits[i])) mx = std::max(mx, logits[i] / t);
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (Usable(logits[i])) sum += std::exp(logits[i] / t - mx);
  }
  if (token < 0 || token >= n || !Usable(logits[token])) return -std::numeric_limits<double>::infinity();
  return logits[token] / t - mx - std::log(sum);
}

void Sampler::Reserve(int64_t vocab_size) {
  if (vocab_size > static_cast<int64_t>(prob_.size())) {
    prob_.resize(static_cast<size_t>(vocab_size));
    order_.resize(static_cast<size_t>(vocab_size));
  }
}

StatusOr<Sampled> Sampler::Sample(std::span<const float> logits, const SamplingParams& params,
                                  SequenceRng& rng) {
  const int64_t n = Limit(logits, params.vocab_limit);
  Reserve(n);
  // Greedy: the argmax, lowest id on ties.
  int32_t best = -1;
  bool all_usable = true;
  for (int64_t i = 0; i < n; ++i) {
    if (!Usable(logits[i])) {
      all_usable = false;
    } else if (best < 0 || logits[i] > logits[best]) {
      best = static_cast<int32_t>(i);
    }
  }
  if (best < 0) return absl::FailedPreconditionError("sampling: no finite logit among the allowed ids");
  // The log-prob: the kernel the learner uses (same numbers), or the NaN-tolerant reference.
  auto logprob = [&](int32_t token, double t) {
    return all_usable ? kernels::TokenLogProb(logits.data(), n, static_cast<float>(t), token)
                      : static_cast<float>(FullLogProb(logits, t, params.vocab_limit, token));
  };
  if (params.temperature == 0) return Sampled{best, logprob(best, 1.0)};
  const double t = params.temperature;
  // prob_[i] = exp((z_i − z_best)/T) in float (so prob_[best] = 1 = p_max, unnormalised).
  const float inv_t = static_cast<float>(1.0 / t);
  const float zmax = logits[best];
  int64_t m = 0;
  for (int64_t i = 0; i < n; ++i) {
    prob_[i] = Usable(logits[i]) ? std::exp((logits[i] - zmax) * inv_t) : 0.0f;
    if (prob_[i] > 0) order_[m++] = static_cast<int32_t>(i);
  }
  prob_[best] = 1.0f;
  // Most likely first, lowest id first on ties.
  auto by_prob = [&](int32_t a, int32_t b) { return prob_[a] != prob_[b] ? prob_[a] > prob_[b] : a < b; };
  int64_t keep = m, sorted = 0;  // order_[0, sorted) is sorted and precedes the rest
  if (params.top_k > 0 && params.top_k < keep) {
    std::partial_sort(order_.begin(), order_.begin() + params.top_k, order_.begin() + m, by_prob);
    keep = sorted = params.top_k;
  }
  if (params.top_p < 1.0) {
    double mass = 0;
    for (int64_t i = 0; i < keep; ++i) mass += prob_[order_[i]];
    // Sort only as far as the nucleus reaches: chunks of 256, 1024, 4096, … from the top.
    double cum = 0;
    int64_t j = 0;
    while (j < keep) {
      if (j == sorted) {
        const int64_t next = std::min(keep, std::max<int64_t>(256, 4 * sorted));
        std::partial_sort(order_.begin() + sorted, order_.begin() + next, order_.begin() + keep, by_prob);
        sorted = next;
      }
      cum += prob_[order_[j++]];
      if (cum >= params.top_p * mass) break;
    }
    keep = j;
  }
  if (params.min_p > 0) {  // p ≥ min_p · p_max with p_max = 1: a linear filter, order kept
    const float floor = static_cast<float>(params.min_p);
    int64_t j = 0;
    for (int64_t i = 0; i < keep; ++i) {
      if (prob_[order_[i]] >= floor) order_[j++] = order_[i];
    }
    keep = j;
  }
  double total = 0;
  for (int64_t i = 0; i < keep; ++i) total += prob_[order_[i]];
  const double u = rng.NextUniform() * total;
  double cum = 0;
  int32_t chosen = order_[keep - 1];
  for (int64_t i = 0; i < keep; ++i) {
    cum += prob_[order_[i]];
    if (u < cum) {
      chosen = order_[i];
      break;
    }
  }
  return Sampled{chosen, logprob(chosen, t)};
}

}  // namespace rl::rollout
