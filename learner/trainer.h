// The learner's training step on packed batches (RECIPE.md "CISPO", "GRPO variant",
// "Optimiser"): recompute the response tokens' log-probs log softmax(z/T) with the FP32 LM
// head, the policy loss (policy_loss.h; k3 KL against a frozen copy of the initial weights
// when kl_beta > 0), ∂loss/∂logits via LogitGradient, the hand-written backward
// (backward/model_grad.h), global-norm clipping and AdamW, `updates_per_batch` mini-batch
// updates per generation batch. SFT cross-entropy with the same packing. Checkpoints: a
// Hugging Face directory (config.json + model.safetensors, rl/model/checkpoint.h) plus
// learner_state.bin (AdamW moments, step, RNG, data cursor) for exact resume.
//
// Packing: sequence i is tokens[offsets[i], offsets[i+1]); its first prompt_lens[i] tokens
// are the prompt (no loss); every later token p is a response token, scored by the logits of
// row p − 1. Per-token inputs (old_logp, rollout_logp) are indexed by the token's own position
// p and ignored at prompt positions.
//
// Threads: one Learner per thread (not thread-safe); the GEMMs use OpenBLAS's threads, whose
// count is fixed at creation (num_threads) so results are bitwise reproducible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "learner/optimizer.h"
#include "learner/policy_loss.h"
#include "rl/core/status.h"
#include "rl/model/model_config.h"
#include "rl/model/params.h"

namespace rl {
class ThreadPool;
}  // namespace rl

namespace rl::learner {

struct LearnerOptions {
  PolicyLossOptions loss;
  AdamWOptions adamw;
  ScheduleOptions schedule;
  bool decay_all = false;            // also decay norms, biases and embeddings
  double clip_norm = 1.0;            // global gradient-norm clip (0 = off)
  int64_t updates_per_batch = 1;     // mini-batch optimiser updates per generation batch
  bool balanced_advantages = false;  // GRPO change 3 (token-level balancing)
  double temperature = 1.0;          // sampling temperature T of the rollout
  // > 0: log-probs are log softmax over the logits of ids < vocab_limit only, the mask the
  // rollout sampler applies (SamplerOptions::vocab_limit; the driver sets both to the
  // tokenizer's size), so old and new log-probs are the same distribution. Applies to
  // TrainStep, SftStep, TokenLogProbs and the KL reference; a response token ≥ vocab_limit
  // is an InvalidArgument. 0 = the full vocabulary.
  int64_t vocab_limit = 0;
  int64_t lightning_block = 256;
  bool recompute = false;     // activation recomputation per layer
  bool aux_loss = true;       // add config.router_aux_loss_coef · aux
  uint64_t seed = 0;          // mini-batch shuffling
  int num_threads = 0;        // OpenBLAS threads (0: leave as is)
  int attention_threads = 1;  // > 1: attention heads on a pool (opt-in: nesting with
                              // OpenBLAS's own threads oversubscribes small machines)
};

struct PackedSequences {
  std::vector<int32_t> tokens;       // (N)
  std::vector<int64_t> offsets;      // (S + 1)
  std::vector<int64_t> prompt_lens;  // (S), each >= 1
};

struct RlBatch : PackedSequences {
  std::vector<float> old_logp;      // (N) log π_old of the token at its position
  std::vector<float> rollout_logp;  // (N) rollout engine log-probs; empty → old_logp
  std::vector<double> advantages;   // (S) one per sequence
};

using Metrics = std::map<std::string, double>;

class Learner {
 public:
  static StatusOr<std::unique_ptr<Learner>> Create(model::ModelConfig config,
                                                   model::ParamMap params, LearnerOptions options);
  // Loads <dir> (HF checkpoint + learner_state.bin) written by Save.
  static StatusOr<std::unique_ptr<Learner>> Restore(const std::string& dir, LearnerOptions options);
  ~Learner();

  // One generation batch: updates_per_batch optimiser steps over mini-batches of sequences.
  StatusOr<Metrics> TrainStep(const RlBatch& batch);
  // One SFT optimiser step: loss = −mean over response tokens of log softmax(z)[token] (T = 1).
  StatusOr<Metrics> SftStep(const PackedSequences& batch);
  // log softmax(z/T) of every response token under the current weights, at its position (N);
  // 0 at prompt positions. No gradient.
  StatusOr<std::vector<float>> TokenLogProbs(const PackedSequences& batch) const;

  // Writes dir/config.json, dir/model.safetensors, dir/learner_state.bin (and dir/reference/
  // when a reference model is kept). Overwrites existing files.
  Status Save(const std::string& dir) const;

  const model::ModelConfig& config() const { return config_; }
  const model::ParamMap& params() const { return params_; }
  int64_t step() const { return optimizer_.step(); }  // optimiser updates so far
  int64_t data_cursor() const { return data_cursor_; }
  // tokenizer.json text written into checkpoints by Save (kept from Restore).
  void set_tokenizer_json(std::string json) { tokenizer_json_ = std::move(json); }
  const std::string& tokenizer_json() const { return tokenizer_json_; }
  void set_data_cursor(int64_t c) { data_cursor_ = c; }
  // Policy-loss settings (clipping ε, …) used by the next TrainStep; the driver changes the
  // clipping per length stage. Changing kind or kl_beta after Create is not supported.
  const PolicyLossOptions& loss_options() const { return options_.loss; }
  void set_loss_options(const PolicyLossOptions& o) { options_.loss = o; }
  // LearnerOptions::vocab_limit after creation (e.g. once the tokenizer is known); InvalidArgument
  // outside [0, vocab_size].
  Status set_vocab_limit(int64_t limit);
  int64_t vocab_limit() const { return options_.vocab_limit; }
  // Peak bytes of saved activations in the last step (for memory reports).
  int64_t last_activation_bytes() const { return last_activation_bytes_; }

 private:
  Learner(model::ModelConfig config, model::ParamMap params, LearnerOptions options);
  Status LoadState(const std::string& path);
  // ValidatePacked + every response token below the vocab_limit mask.
  Status CheckBatch(const PackedSequences& batch) const;
  // Forward + loss + backward + update on one packed sub-batch. dlogp_fn maps the response
  // tokens' log-probs (and entropies) to the loss and ∂loss/∂logp; writes metrics.
  struct Scored;
  Status Update(const PackedSequences& batch, const std::vector<int32_t>& targets,
                double temperature,
                const std::function<Status(const Scored&, double* loss, std::vector<double>* dlogp,
                                           Metrics* m)>& loss_fn,
                Metrics* metrics);

  model::ModelConfig config_;
  model::ParamMap params_;
  std::unique_ptr<model::ParamMap> reference_;  // frozen initial weights (kl_beta > 0)
  LearnerOptions options_;
  AdamW optimizer_;
  std::vector<std::string> names_;  // registration order of the optimiser
  std::mt19937_64 rng_;
  int64_t data_cursor_ = 0;
  std::string tokenizer_json_;
  int64_t last_activation_bytes_ = 0;
  std::unique_ptr<ThreadPool> pool_;  // attention heads; null with one thread
};

// Targets of a packed batch: targets[p − 1] = tokens[p] for every response token p, −1 elsewhere.
std::vector<int32_t> ResponseTargets(const PackedSequences& batch);
// Checks sizes, offsets and prompt lengths; the error names the field.
Status ValidatePacked(const PackedSequences& batch, int64_t vocab_size);
// Pearson correlation of two samples (0 when either is constant or empty).
double Pearson(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace rl::learner
