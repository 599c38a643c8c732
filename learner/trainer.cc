#include "learner/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "learner/advantages.h"
#include "learner/backward/gemm.h"
#include "learner/backward/model_grad.h"
#include "learner/learner_state.h"
#include "rl/core/thread_pool.h"
#include "rl/model/checkpoint.h"

namespace rl::learner {

using model::ModelConfig;
using model::ParamMap;

struct Learner::Scored {
  std::vector<int64_t> positions;    // response token positions p
  std::vector<int64_t> seq_offsets;  // (S + 1) ranges of positions per sequence
  std::vector<double> logp, entropy;
};

std::vector<int32_t> ResponseTargets(const PackedSequences& b) {
  std::vector<int32_t> targets(b.tokens.size(), -1);
  for (size_t i = 0; i + 1 < b.offsets.size(); ++i) {
    for (int64_t p = b.offsets[i] + b.prompt_lens[i]; p < b.offsets[i + 1]; ++p) {
      targets[p - 1] = b.tokens[p];
    }
  }
  return targets;
}

Status ValidatePacked(const PackedSequences& b, int64_t vocab_size) {
  auto bad = [](const std::string& m) { return absl::InvalidArgumentError("packed batch: " + m); };
  if (b.offsets.empty() || b.offsets.front() != 0 ||
      b.offsets.back() != static_cast<int64_t>(b.tokens.size())) {
    return bad("offsets must start at 0 and end at tokens.size()");
  }
  if (b.prompt_lens.size() + 1 != b.offsets.size())
    return bad("prompt_lens needs one entry per sequence");
  for (size_t i = 0; i + 1 < b.offsets.size(); ++i) {
    if (b.offsets[i + 1] < b.offsets[i])
      return bad("offsets decrease at sequence " + std::to_string(i));
    if (b.prompt_lens[i] < 1 || b.prompt_lens[i] > b.offsets[i + 1] - b.offsets[i]) {
      return bad("prompt_lens[" + std::to_string(i) + "] must be in [1, sequence length]");
    }
  }
  for (size_t t = 0; t < b.tokens.size(); ++t) {
    if (b.tokens[t] < 0 || b.tokens[t] >= vocab_size) {
      return bad("token " + std::to_string(b.tokens[t]) + " at position " + std::to_string(t) +
                 " outside the vocabulary");
    }
  }
  return absl::OkStatus();
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = std::min(a.size(), b.size());
  if (n < 2) return 0;
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(n);
  mb /= static_cast<double>(n);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  if (saa <= 0 || sbb <= 0) return 0;
  return sab / std::sqrt(saa * sbb);
}

namespace {

// Rows of log softmax(z/T)[target] under params (no gradient); 0 where targets < 0.
std::vector<float> ScoreRows(const ModelConfig& c, const ParamMap& params, const PackedSequences& b,
                             const std::vector<int32_t>& targets, double temperature, int64_t block,
                             int64_t vocab_limit, ThreadPool* pool) {
  GradOptions go;
  go.pool = pool;
  go.lightning_block = block;
  go.recompute = true;
  WeightView<float> w = ViewOf(params);
  Activations<float> acts;
  ModelForward<float>(c, w, PackedBatch{b.tokens, b.offsets}, go, &acts);
  std::vector<float> rows(b.tokens.size());
  LmHeadLogProbs<float>(acts.final_hidden.data(), w.at(LmHeadName(c)),
                        static_cast<int64_t>(b.tokens.size()), c.hidden_size, c.vocab_size, targets,
                        temperature, rows.data(), nullptr, vocab_limit);
  return rows;
}

// Sub-batch of the sequences `seqs` (in that order).
PackedSequences Subset(const PackedSequences& b, const std::vector<int64_t>& seqs) {
  PackedSequences out;
  out.offsets.push_back(0);
  for (int64_t i : seqs) {
    out.tokens.insert(out.tokens.end(), b.tokens.begin() + b.offsets[i],
                      b.tokens.begin() + b.offsets[i + 1]);
    out.offsets.push_back(static_cast<int64_t>(out.tokens.size()));
    out.prompt_lens.push_back(b.prompt_lens[i]);
  }
  return out;
}

// Combines per-update metrics: *_max → max, *_min → min, everything else → mean.
Metrics Combine(const std::vector<Metrics>& ms) {
  Metrics out;
  std::map<std::string, int> counts;
  auto ends = [](const std::string& s, const std::string& suf) {
    return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
  };
  for (const auto& m : ms) {
    for (const auto& [k, v] : m) {
      auto it = out.find(k);
      if (it == out.end()) {
        out[k] = v;
      } else if (ends(k, "_max")) {
        it->second = std::max(it->second, v);
      } else if (ends(k, "_min")) {
        it->second = std::min(it->second, v);
      } else {
        it->second += v;
      }
      ++counts[k];
    }
  }
  for (auto& [k, v] : out) {
    if (!ends(k, "_max") && !ends(k, "_min")) v /= counts[k];
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Learner::Learner(ModelConfig config, ParamMap params, LearnerOptions options)
    : config_(std::move(config)),
      params_(std::move(params)),
      options_(options),
      optimizer_(options.adamw),
      rng_(options.seed) {
  if (options_.attention_threads > 1)
    pool_ = std::make_unique<ThreadPool>(options_.attention_threads - 1);
  for (const auto& [name, t] : params_) {
    names_.push_back(name);
    optimizer_.AddParam(t.numel(), options_.decay_all || !ExemptFromDecay(name));
  }
  if (options_.loss.kind == PolicyLossKind::kGrpo && options_.loss.kl_beta > 0) {
    reference_ = std::make_unique<ParamMap>(params_);
  }
}

Learner::~Learner() = default;

StatusOr<std::unique_ptr<Learner>> Learner::Create(ModelConfig config, ParamMap params,
                                                   LearnerOptions options) {
  RL_RETURN_IF_ERROR(config.Validate());
  RL_RETURN_IF_ERROR(model::CheckParams(config, params));
  if (options.updates_per_batch < 1)
    return absl::InvalidArgumentError("updates_per_batch must be >= 1");
  if (options.temperature <= 0) return absl::InvalidArgumentError("temperature must be > 0");
  if (options.vocab_limit < 0 || options.vocab_limit > config.vocab_size) {
    return absl::InvalidArgumentError(
        "vocab_limit " + std::to_string(options.vocab_limit) +
        " outside [0, vocab_size = " + std::to_string(config.vocab_size) + "]");
  }
  if (options.num_threads > 0) SetBlasThreads(options.num_threads);
  EnableFlushToZero();
  return std::unique_ptr<Learner>(new Learner(std::move(config), std::move(params), options));
}

Status Learner::Update(
    const PackedSequences& b, const std::vector<int32_t>& targets, double temperature,
    const std::function<Status(const Scored&, double*, std::vector<double>*, Metrics*)>& loss_fn,
    Metrics* metrics) {
  EnableFlushToZero();
  const int64_t N = static_cast<int64_t>(b.tokens.size()), C = config_.hidden_size;
  const int64_t V = config_.vocab_size;
  GradOptions go;
  go.lightning_block = options_.lightning_block;
  go.recompute = options_.recompute;
  go.aux_loss_coef = options_.aux_loss ? config_.router_aux_loss_coef : 0.0;
  go.pool = pool_.get();
  WeightView<float> w = ViewOf(params_);
  const std::string head = LmHeadName(config_);
  Activations<float> acts;
  ModelForward<float>(config_, w, PackedBatch{b.tokens, b.offsets}, go, &acts);
  last_activation_bytes_ = acts.Bytes();
  std::vector<float> logp_rows(N), ent_rows(N);
  LmHeadLogProbs<float>(acts.final_hidden.data(), w.at(head), N, C, V, targets, temperature,
                        logp_rows.data(), ent_rows.data(), options_.vocab_limit);
  Scored sc;
  sc.seq_offsets.push_back(0);
  for (size_t i = 0; i + 1 < b.offsets.size(); ++i) {
    for (int64_t p = b.offsets[i] + b.prompt_lens[i]; p < b.offsets[i + 1]; ++p) {
      sc.positions.push_back(p);
      sc.logp.push_back(logp_rows[p - 1]);
      sc.entropy.push_back(ent_rows[p - 1]);
    }
    sc.seq_offsets.push_back(static_cast<int64_t>(sc.positions.size()));
  }
  double loss = 0;
  std::vector<double> dlogp;
  RL_RETURN_IF_ERROR(loss_fn(sc, &loss, &dlogp, metrics));
  std::vector<float> dlogp_rows(N, 0.0f);
  for (size_t i = 0; i < sc.positions.size(); ++i)
    dlogp_rows[sc.positions[i] - 1] = static_cast<float>(dlogp[i]);
  Tensors<float> grads = ZeroTensors<float>(config_);
  std::vector<float> dh(N * C);
  LmHeadBackward<float>(acts.final_hidden.data(), w.at(head), N, C, V, targets, temperature,
                        dlogp_rows.data(), dh.data(), grads.at(head).data(), options_.vocab_limit);
  const double aux = acts.aux_loss;
  ModelBackward<float>(config_, w, PackedBatch{b.tokens, b.offsets}, go, &acts, dh.data(), &grads);

  std::vector<std::span<float>> gs;
  std::vector<std::span<const float>> gcs;
  std::vector<std::span<float>> ps;
  for (const auto& name : names_) {
    gs.emplace_back(grads.at(name));
    gcs.emplace_back(grads.at(name));
    ps.emplace_back(params_.at(name).data);
  }
  const double norm = ClipGlobalNorm(gs, options_.clip_norm);
  const double lr = options_.adamw.lr * LrMultiplier(options_.schedule, optimizer_.step());
  (*metrics)["train/grad_norm"] = norm;
  (*metrics)["train/grad_norm_clipped"] = GlobalNorm(gcs);
  RL_RETURN_IF_ERROR(optimizer_.Step(ps, gcs, lr));
  double ent = 0;
  for (double e : sc.entropy) ent += e;
  (*metrics)["train/loss"] = loss;
  (*metrics)["train/aux_loss"] = aux;
  (*metrics)["train/entropy"] =
      sc.entropy.empty() ? 0.0 : ent / static_cast<double>(sc.entropy.size());
  (*metrics)["train/lr"] = lr;
  return absl::OkStatus();
}

Status Learner::set_vocab_limit(int64_t limit) {
  if (limit < 0 || limit > config_.vocab_size) {
    return absl::InvalidArgumentError(
        "vocab_limit " + std::to_string(limit) +
        " outside [0, vocab_size = " + std::to_string(config_.vocab_size) + "]");
  }
  options_.vocab_limit = limit;
  return absl::OkStatus();
}

Status Learner::CheckBatch(const PackedSequences& b) const {
  RL_RETURN_IF_ERROR(ValidatePacked(b, config_.vocab_size));
  if (options_.vocab_limit <= 0) return absl::OkStatus();
  for (size_t i = 0; i + 1 < b.offsets.size(); ++i) {
    for (int64_t p = b.offsets[i] + b.prompt_lens[i]; p < b.offsets[i + 1]; ++p) {
      if (b.tokens[p] >= options_.vocab_limit) {
        return absl::InvalidArgumentError("packed batch: response token " +
                                          std::to_string(b.tokens[p]) + " at position " +
                                          std::to_string(p) + " is masked (vocab_limit " +
                                          std::to_string(options_.vocab_limit) + ")");
      }
    }
  }
  return absl::OkStatus();
}

StatusOr<Metrics> Learner::TrainStep(const RlBatch& batch) {
  const auto t0 = std::chrono::steady_clock::now();
  RL_RETURN_IF_ERROR(CheckBatch(batch));
  const int64_t N = static_cast<int64_t>(batch.tokens.size());
  const int64_t S = static_cast<int64_t>(batch.prompt_lens.size());
  if (static_cast<int64_t>(batch.old_logp.size()) != N)
    return absl::InvalidArgumentError("old_logp needs one entry per token");
  if (!batch.rollout_logp.empty() && static_cast<int64_t>(batch.rollout_logp.size()) != N) {
    return absl::InvalidArgumentError("rollout_logp needs one entry per token (or none)");
  }
  if (static_cast<int64_t>(batch.advantages.size()) != S)
    return absl::InvalidArgumentError("advantages needs one entry per sequence");
  const std::vector<float>& rollout =
      batch.rollout_logp.empty() ? batch.old_logp : batch.rollout_logp;

  std::vector<double> adv = batch.advantages;
  std::vector<int64_t> counts(S);
  for (int64_t i = 0; i < S; ++i)
    counts[i] = batch.offsets[i + 1] - batch.offsets[i] - batch.prompt_lens[i];
  const AdvantageMass mass = options_.balanced_advantages ? BalanceAdvantages(adv, counts)
                                                          : TokenAdvantageMass(adv, counts);
  std::vector<int64_t> order(S);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng_);
  const int64_t K = std::max<int64_t>(1, std::min<int64_t>(options_.updates_per_batch, S));
  std::vector<Metrics> per_update;
  for (int64_t k = 0; k < K; ++k) {
    std::vector<int64_t> seqs(order.begin() + k * S / K, order.begin() + (k + 1) * S / K);
    PackedSequences sub = Subset(batch, seqs);
    const std::vector<int32_t> targets = ResponseTargets(sub);
    // Per response token of sub (in order): old/rollout log-probs and advantages.
    std::vector<double> old_lp, roll_lp, adv_tok;
    for (size_t j = 0; j < seqs.size(); ++j) {
      const int64_t i = seqs[j];
      for (int64_t p = batch.offsets[i] + batch.prompt_lens[i]; p < batch.offsets[i + 1]; ++p) {
        old_lp.push_back(batch.old_logp[p]);
        roll_lp.push_back(rollout[p]);
        adv_tok.push_back(adv[i]);
      }
    }
    std::vector<double> ref_lp;
    if (reference_ && options_.loss.kl_beta > 0) {
      const auto rows = ScoreRows(config_, *reference_, sub, targets, options_.temperature,
                                  options_.lightning_block, options_.vocab_limit, pool_.get());
      for (size_t j = 0; j + 1 < sub.offsets.size(); ++j) {
        for (int64_t p = sub.offsets[j] + sub.prompt_lens[j]; p < sub.offsets[j + 1]; ++p)
          ref_lp.push_back(rows[p - 1]);
      }
    }
    Metrics m;
    auto loss_fn = [&](const Scored& sc, double* loss, std::vector<double>* dlogp,
                       Metrics* mm) -> Status {
      PolicyLossInput in;
      in.logp = sc.logp;
      in.old_logp = old_lp;
      in.advantages = adv_tok;
      in.seq_offsets = sc.seq_offsets;
      in.ref_logp = ref_lp;
      in.rollout_logp = roll_lp;
      PolicyLossOutput out = ComputePolicyLoss(in, options_.loss);
      *loss = out.loss;
      *dlogp = std::move(out.dlogp);
      for (const auto& [key, v] : out.metrics) (*mm)[key] = v;
      if (k == 0) {  // the weights the rollout used (before this batch's updates)
        std::vector<double> pl(sc.logp.size()), pr(sc.logp.size());
        double diff = 0;
        for (size_t j = 0; j < sc.logp.size(); ++j) {
          pl[j] = std::exp(sc.logp[j]);
          pr[j] = std::exp(roll_lp[j]);
          diff += std::abs(pl[j] - pr[j]);
        }
        (*mm)["mismatch/prob_corr"] = Pearson(pl, pr);
        (*mm)["mismatch/abs_diff"] = pl.empty() ? 0.0 : diff / static_cast<double>(pl.size());
      }
      return absl::OkStatus();
    };
    RL_RETURN_IF_ERROR(Update(sub, targets, options_.temperature, loss_fn, &m));
    per_update.push_back(std::move(m));
  }
  Metrics out = Combine(per_update);
  out["train/adv_pos_mass"] = mass.positive;
  out["train/adv_neg_mass"] = mass.negative;
  out["train/updates"] = static_cast<double>(K);
  out["train/tokens"] = static_cast<double>(N);
  out["train/tokens_per_s"] = static_cast<double>(N) / std::max(Seconds(t0), 1e-9);
  return out;
}

StatusOr<Metrics> Learner::SftStep(const PackedSequences& batch) {
  const auto t0 = std::chrono::steady_clock::now();
  RL_RETURN_IF_ERROR(CheckBatch(batch));
  Metrics m;
  auto loss_fn = [&](const Scored& sc, double* loss, std::vector<double>* dlogp,
                     Metrics*) -> Status {
    const double n = static_cast<double>(std::max<size_t>(sc.logp.size(), 1));
    *loss = 0;
    for (double lp : sc.logp) *loss -= lp / n;
    dlogp->assign(sc.logp.size(), -1.0 / n);
    return absl::OkStatus();
  };
  RL_RETURN_IF_ERROR(Update(batch, ResponseTargets(batch), /*temperature=*/1.0, loss_fn, &m));
  m["train/tokens"] = static_cast<double>(batch.tokens.size());
  m["train/tokens_per_s"] = static_cast<double>(batch.tokens.size()) / std::max(Seconds(t0), 1e-9);
  return m;
}

StatusOr<std::vector<float>> Learner::TokenLogProbs(const PackedSequences& batch) const {
  RL_RETURN_IF_ERROR(CheckBatch(batch));
  const auto rows = ScoreRows(config_, params_, batch, ResponseTargets(batch), options_.temperature,
                              options_.lightning_block, options_.vocab_limit, pool_.get());
  std::vector<float> out(batch.tokens.size(), 0.0f);
  for (size_t i = 0; i + 1 < batch.offsets.size(); ++i) {
    for (int64_t p = batch.offsets[i] + batch.prompt_lens[i]; p < batch.offsets[i + 1]; ++p)
      out[p] = rows[p - 1];
  }
  return out;
}

Status Learner::Save(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError("cannot create " + dir + ": " + ec.message());
  model::SaveOptions save;
  save.tokenizer_json = tokenizer_json_;
  RL_RETURN_IF_ERROR(model::SaveCheckpoint(dir, config_, params_, save));
  if (reference_)
    RL_RETURN_IF_ERROR(model::SaveCheckpoint(dir + "/reference", config_, *reference_));
  LearnerState st;
  st.step = optimizer_.step();
  st.data_cursor = data_cursor_;
  std::ostringstream rng;
  rng << rng_;
  st.rng = rng.str();
  st.names = names_;
  st.m = optimizer_.first_moments();
  st.v = optimizer_.second_moments();
  return WriteLearnerState(dir + "/learner_state.bin", st);
}

StatusOr<std::unique_ptr<Learner>> Learner::Restore(const std::string& dir,
                                                    LearnerOptions options) {
  RL_ASSIGN_OR_RETURN(model::Checkpoint ck, model::LoadCheckpoint(dir));
  RL_ASSIGN_OR_RETURN(std::unique_ptr<Learner> l, Create(ck.config, std::move(ck.params), options));
  l->tokenizer_json_ = std::move(ck.tokenizer_json);
  if (l->reference_ && std::filesystem::exists(dir + "/reference/config.json")) {
    RL_ASSIGN_OR_RETURN(model::Checkpoint ref, model::LoadCheckpoint(dir + "/reference"));
    *l->reference_ = std::move(ref.params);
  }
  RL_RETURN_IF_ERROR(l->LoadState(dir + "/learner_state.bin"));
  return l;
}

Status Learner::LoadState(const std::string& path) {
  RL_ASSIGN_OR_RETURN(LearnerState st, ReadLearnerState(path));
  if (st.names != names_)
    return absl::InvalidArgumentError(path + ": parameter list differs from the model");
  for (size_t i = 0; i < names_.size(); ++i) {
    const size_t n = params_.at(names_[i]).data.size();
    if (st.m[i].size() != n || st.v[i].size() != n) {
      return absl::InvalidArgumentError(path + ": moment size mismatch for " + names_[i]);
    }
  }
  optimizer_.first_moments() = std::move(st.m);
  optimizer_.second_moments() = std::move(st.v);
  optimizer_.set_step(st.step);
  data_cursor_ = st.data_cursor;
  std::istringstream rng(st.rng);
  rng >> rng_;
  if (!rng) return absl::InvalidArgumentError(path + ": bad RNG state");
  return absl::OkStatus();
}

}  // namespace rl::learner
