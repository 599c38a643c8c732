// The SFT cold start of `rl train` (cold_start section): supervised steps on the training
// sources' worked reference responses (a task's metadata.response), the held-out evaluation
// every eval_every steps, then a fresh RL learner (new optimiser state; the KL reference, if
// any, is the cold-started model) from the resulting weights.
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "rl/driver/driver_internal.h"

namespace rl::driver::internal {
namespace {

double SecondsSince(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

// The reference response of a task: metadata.response, or "" when it has none.
std::string ReferenceResponse(const tasks::Task& t) {
  nlohmann::json m = nlohmann::json::parse(t.metadata, nullptr, false);
  if (!m.is_object() || !m.contains("response") || !m["response"].is_string()) return "";
  return m["response"].get<std::string>();
}

// Seeds of cold-start draws: a range disjoint from the RL draws and from the held-out set.
uint64_t ColdSeedBase(int64_t run_seed, size_t source) {
  return (static_cast<uint64_t>(run_seed) << 32) | ((uint64_t{0xC0} + source) << 24);
}

}  // namespace

Status Driver::ColdStart() {
  const auto& cs = cfg_.cold_start;
  const size_t num_sources = cfg_.tasks.sources.size();
  if (num_sources >= 0x3F) {
    return absl::InvalidArgumentError("cold_start: at most 62 task sources are supported");
  }
  // Sources with reference responses, sampled by their task-mix weights.
  std::vector<double> weights(num_sources, 0.0);
  cold_cursors_.assign(num_sources, 0);
  double total = 0;
  for (size_t i = 0; i < num_sources; ++i) {
    const auto& src = cfg_.tasks.sources[i];
    tasks::Task probe;
    if (!src.generator.empty()) {
      RL_ASSIGN_OR_RETURN(probe, DrawGeneratorTask(i, 0, ColdSeedBase(cfg_.run.seed, i)));
    } else {
      probe = file_tasks_[i].front();
    }
    if (!ReferenceResponse(probe).empty()) weights[i] = src.weight;
    total += weights[i];
  }
  if (total <= 0) {
    return absl::InvalidArgumentError(
        "cold_start.steps > 0 but no task source has reference responses (metadata.response); "
        "the arithmetic generator writes them");
  }
  std::mt19937_64 rng(static_cast<uint64_t>(cfg_.run.seed) ^ 0xC01D5EEDULL);
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());

  RL_ASSIGN_OR_RETURN(learner::LearnerOptions rl_opts, learner::LearnerOptionsFromConfig(cfg_));
  learner::LearnerOptions o = rl_opts;
  o.adamw.lr = cs.lr;
  o.schedule.kind =
      cs.warmup_steps > 0 ? learner::Schedule::kLinearWarmup : learner::Schedule::kConstant;
  o.schedule.warmup_steps = cs.warmup_steps;
  o.schedule.total_steps = cs.steps;
  o.updates_per_batch = 1;
  o.loss.kl_beta = 0;
  std::unique_ptr<learner::Learner> rl_learner = std::move(learner_);
  RL_ASSIGN_OR_RETURN(learner_,
                      learner::Learner::Create(rl_learner->config(), rl_learner->params(), o));
  RL_RETURN_IF_ERROR(learner_->set_vocab_limit(tok_->vocab_size()));
  const std::string tokenizer_json = rl_learner->tokenizer_json();
  rl_learner.reset();

  const int32_t end_id = stop_tokens_.empty() ? -1 : stop_tokens_.front();
  const auto t0 = Clock::now();
  quiet_sync_ = true;
  int64_t i = 1;
  double loss_sum = 0;
  int64_t loss_n = 0;
  for (; i <= cs.steps; ++i) {
    if (StopRequested().load() || TimeUp()) break;
    learner::PackedSequences batch;
    batch.offsets.push_back(0);
    for (int64_t e = 0; e < cs.examples_per_step; ++e) {
      const size_t s = pick(rng);
      tasks::Task t;
      if (!cfg_.tasks.sources[s].generator.empty()) {
        RL_ASSIGN_OR_RETURN(
            t, DrawGeneratorTask(s, cold_cursors_[s]++, ColdSeedBase(cfg_.run.seed, s)));
      } else {
        const auto& all = file_tasks_[s];
        t = all[static_cast<size_t>(cold_cursors_[s]++ % static_cast<int64_t>(all.size()))];
      }
      const std::string response = ReferenceResponse(t);
      if (response.empty()) continue;
      std::vector<int32_t> p = tok_->Encode(tasks::ApplyChatTemplate(t.prompt));
      std::vector<int32_t> r = tok_->Encode(response, /*parse_special=*/true);
      if (end_id >= 0 && (r.empty() || r.back() != end_id)) r.push_back(end_id);
      batch.tokens.insert(batch.tokens.end(), p.begin(), p.end());
      batch.tokens.insert(batch.tokens.end(), r.begin(), r.end());
      batch.prompt_lens.push_back(static_cast<int64_t>(p.size()));
      batch.offsets.push_back(static_cast<int64_t>(batch.tokens.size()));
    }
    RL_ASSIGN_OR_RETURN(learner::Metrics m, learner_->SftStep(batch));
    learner::Metrics out;
    for (const auto& [k, v] : m)
      out["cold_start/" + (k.rfind("train/", 0) == 0 ? k.substr(6) : k)] = v;
    ctx_.store->LogMetrics(ctx_.run_id, i, out);
    const double loss = m["train/loss"];
    loss_sum += loss;
    ++loss_n;
    if (options_.progress && (i % 10 == 0 || i == cs.steps)) {
      std::fprintf(stderr, "cold start %lld/%lld | loss %.4f | %.1fs\n", static_cast<long long>(i),
                   static_cast<long long>(cs.steps), loss_sum / static_cast<double>(loss_n),
                   SecondsSince(t0));
      loss_sum = 0;
      loss_n = 0;
    }
    if (cs.eval_every > 0 && i % cs.eval_every == 0 && i < cs.steps) {
      RL_RETURN_IF_ERROR(PushWeights(0, i));
      RL_RETURN_IF_ERROR(Evaluate(i, "cold_start/eval"));
    }
    RL_RETURN_IF_ERROR(ctx_.store->Flush());
  }
  const int64_t done = i - 1;
  // The RL learner starts from the cold-started weights with its own optimiser state.
  RL_ASSIGN_OR_RETURN(auto fresh,
                      learner::Learner::Create(learner_->config(), learner_->params(), rl_opts));
  learner_ = std::move(fresh);
  learner_->set_tokenizer_json(tokenizer_json);
  RL_RETURN_IF_ERROR(learner_->set_vocab_limit(tok_->vocab_size()));
  ApplyStageClipping(nullptr);
  RL_RETURN_IF_ERROR(PushWeights(0, done));
  quiet_sync_ = false;
  if (options_.progress) {
    std::fprintf(stderr, "cold start done: %lld steps in %.1fs\n", static_cast<long long>(done),
                 SecondsSince(t0));
  }
  return absl::OkStatus();
}

}  // namespace rl::driver::internal
