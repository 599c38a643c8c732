#include "rl/driver/train_loop.h"

#include "rl/driver/driver_internal.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "curricula/length_curriculum.h"
#include "curricula/task_mix.h"
#include "learner/advantages.h"
#include "learner/options_from_config.h"
#include "learner/trainer.h"
#include "rewards/pipeline.h"
#include "rewards/swe_verifier.h"
#include "rl/core/logging.h"
#include "rl/driver/local_workers.h"
#include "rl/model/checkpoint.h"
#include "rl/model/hf_config.h"
#include "rl/model/params.h"
#include "rl/tasks/chat_template.h"
#include "rl/tasks/task.h"
#include "rl/tokenizer/byte_level.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"
#include "rollout/client.h"

namespace rl::driver {
namespace fs = std::filesystem;
using internal::Clock;
using internal::Driver;

namespace {

std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop.store(true); }

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t Mix(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x12345678ULL;
  for (uint64_t p : parts) h = SplitMix(h ^ p);
  return h;
}

// Nearest-rank percentile (q in [0, 1]) of v; 0 for an empty v.
double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
}

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

std::string FormatEta(double s) {
  long long t = static_cast<long long>(s);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
  return buf;
}

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(path + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Seeds of generator tasks: training source s uses [base_s, base_s + 2^24), the held-out set
// a range no training source reaches.
uint64_t TrainSeedBase(int64_t run_seed, size_t source) {
  return (static_cast<uint64_t>(run_seed) << 32) | (static_cast<uint64_t>(source) << 24);
}
uint64_t EvalSeedBase(int64_t run_seed) {
  return (static_cast<uint64_t>(run_seed) << 32) | (uint64_t{0xFF} << 24);
}

}  // namespace

namespace internal {

void Driver::Alert(int64_t step, const std::string& kind, const std::string& message,
                   const std::string& severity, nlohmann::json evidence) {
  store::AlertRow row;
  row.run_id = ctx_.run_id;
  row.step = step;
  row.kind = kind;
  row.severity = severity;
  row.message = message;
  row.evidence = evidence.dump();
  ctx_.store->AddAlert(std::move(row));
  std::cerr << "rl train: alert [" << kind << "] step " << step << ": " << message << "\n";
}

Status Driver::SetupModel() {
  RL_ASSIGN_OR_RETURN(learner::LearnerOptions lopts, learner::LearnerOptionsFromConfig(cfg_));
  std::string resume_from;
  if (ctx_.resumed) {
    RL_ASSIGN_OR_RETURN(auto rows, ctx_.store->Checkpoints(ctx_.run_id));
    if (!rows.empty()) resume_from = rows.back().path;
  }
  if (!resume_from.empty()) {
    RL_ASSIGN_OR_RETURN(learner_, learner::Learner::Restore(resume_from, lopts));
    RL_ASSIGN_OR_RETURN(std::string state_text, ReadFile(resume_from + "/driver_state.json"));
    nlohmann::json st = nlohmann::json::parse(state_text, nullptr, false);
    if (st.is_discarded() || !st.contains("step")) {
      return absl::DataLossError(resume_from + "/driver_state.json: not a driver state");
    }
    start_step_ = st["step"].get<int64_t>() + 1;
    cursors_ = st["cursors"].get<std::vector<int64_t>>();
    sequences_consumed_ = st.value("sequences_consumed", int64_t{0});
    curriculum_state_ = st["curriculum"].get<std::string>();
    length_bias_state_ = st.value("length_bias", std::string());
    std::cerr << "rl train: resuming from " << resume_from << " at step " << start_step_ << "\n";
  } else {
    model::ModelConfig mc;
    model::ParamMap params;
    std::string tokenizer_json;
    if (!cfg_.model.checkpoint.empty()) {
      RL_ASSIGN_OR_RETURN(model::Checkpoint ck, model::LoadCheckpoint(cfg_.model.checkpoint));
      mc = ck.config;
      params = std::move(ck.params);
      tokenizer_json = std::move(ck.tokenizer_json);
    } else {
      RL_ASSIGN_OR_RETURN(mc, model::ModelConfigFromArch(cfg_.model.arch));
      params = model::InitParams(mc, static_cast<uint64_t>(cfg_.run.seed));
    }
    RL_ASSIGN_OR_RETURN(learner_, learner::Learner::Create(mc, std::move(params), lopts));
    learner_->set_tokenizer_json(std::move(tokenizer_json));
  }
  if (!cfg_.model.tokenizer.empty()) {
    RL_ASSIGN_OR_RETURN(std::string t, ReadFile(cfg_.model.tokenizer));
    learner_->set_tokenizer_json(std::move(t));
  } else if (learner_->tokenizer_json().empty()) {
    learner_->set_tokenizer_json(tokenizer::DefaultTokenizerJson());
  }
  RL_ASSIGN_OR_RETURN(
      tok_, tokenizer::Tokenizer::FromJson(learner_->tokenizer_json(), cfg_.model.tokenizer.empty()
                                                                           ? "tokenizer.json"
                                                                           : cfg_.model.tokenizer));
  if (tok_->vocab_size() > learner_->config().vocab_size) {
    return absl::InvalidArgumentError("tokenizer has " + std::to_string(tok_->vocab_size()) +
                                      " tokens but the model's vocab_size is " +
                                      std::to_string(learner_->config().vocab_size));
  }
  // Ids past the tokenizer are padded rows: the samplers never draw them and the learner's
  // log-softmax leaves them out, so rollout and learner log-probs are one distribution.
  RL_RETURN_IF_ERROR(learner_->set_vocab_limit(tok_->vocab_size()));
  for (std::string_view s : {tasks::kImEnd, std::string_view("<|endoftext|>")}) {
    if (auto id = tok_->TokenId(s)) stop_tokens_.push_back(*id);
  }
  RL_ASSIGN_OR_RETURN(config_json_, model::HfConfigToJson(learner_->config()));
  return absl::OkStatus();
}

Status Driver::SetupWorkers() {
  if (cfg_.rollout.workers > 0) {
    WorkerFlags f;
    f.threads = cfg_.rollout.threads_per_worker;
    f.repetition_consecutive = cfg_.rollout.repetition.consecutive;
    f.repetition_prob = cfg_.rollout.repetition.prob_threshold;
    f.ngram = cfg_.rollout.repetition.ngram;
    f.ngram_repeats = cfg_.rollout.repetition.ngram_repeats;
    RL_RETURN_IF_ERROR(workers_.Spawn(static_cast<int>(cfg_.rollout.workers), f));
    addresses_ = workers_.addresses();
  } else {
    addresses_ = cfg_.rollout.addresses;
  }
  RL_RETURN_IF_ERROR(Reconnect());
  std::cerr << "rl train: " << addresses_.size() << " rollout worker(s):";
  for (const auto& a : addresses_) std::cerr << " " << a;
  std::cerr << "\n";
  return absl::OkStatus();
}

// One generated task from seed seed_base + n; prompts of the held-out set are skipped (the
// next seeds are tried), so no training draw is a held-out task.
StatusOr<tasks::Task> Driver::DrawGeneratorTask(size_t source, int64_t n, uint64_t seed_base) {
  const config::TaskSourceSection& src = cfg_.tasks.sources[source];
  for (int attempt = 0; attempt < 1000; ++attempt, n += 1 << 20) {
    RL_ASSIGN_OR_RETURN(auto ts,
                        rewards::GenerateSourceTasks(src, 1, seed_base + static_cast<uint64_t>(n)));
    if (ts.empty())
      return absl::InternalError("tasks.sources[" + src.name + "]: generator gave no task");
    if (!eval_prompts_.count(ts[0].prompt)) return ts[0];
  }
  return absl::FailedPreconditionError("tasks.sources[" + src.name +
                                       "]: every generated task is in the held-out set");
}

StatusOr<tasks::Task> Driver::NextTask(size_t source) {
  const config::TaskSourceSection& src = cfg_.tasks.sources[source];
  int64_t n = cursors_[source]++;
  if (!src.generator.empty()) {
    if (src.limit > 0) n %= src.limit;
    return DrawGeneratorTask(source, n, TrainSeedBase(cfg_.run.seed, source));
  }
  const auto& all = file_tasks_[source];
  tasks::Task t = all[static_cast<size_t>(n % static_cast<int64_t>(all.size()))];
  if (t.kind.empty()) t.kind = src.kind;
  return t;
}

bool Driver::TimeUp() const {
  return cfg_.run.time_limit_minutes > 0 && Seconds(started_) >= cfg_.run.time_limit_minutes * 60.0;
}

Status Driver::Setup() {
  if (cfg_.tasks.sources.empty()) {
    return absl::InvalidArgumentError("tasks.sources: at least one training source is required");
  }
  RL_RETURN_IF_ERROR(SetupModel());
  std::vector<std::string> names;
  std::vector<double> weights;
  file_tasks_.resize(cfg_.tasks.sources.size());
  for (size_t i = 0; i < cfg_.tasks.sources.size(); ++i) {
    const auto& s = cfg_.tasks.sources[i];
    names.push_back(s.name.empty() ? "source" + std::to_string(i) : s.name);
    weights.push_back(s.weight);
    if (!s.path.empty() && s.kind == "swe") {  // SWE instances → tasks (docs/swe.md)
      RL_ASSIGN_OR_RETURN(file_tasks_[i], rewards::LoadSweTasks(s));
    } else if (!s.path.empty()) {
      RL_ASSIGN_OR_RETURN(file_tasks_[i], tasks::ReadTasksJsonl(s.path));
      if (s.limit > 0 && static_cast<int64_t>(file_tasks_[i].size()) > s.limit)
        file_tasks_[i].resize(s.limit);
      if (file_tasks_[i].empty()) return absl::InvalidArgumentError(s.path + ": no tasks");
    }
  }
  if (cursors_.empty()) cursors_.assign(cfg_.tasks.sources.size(), 0);
  if (cursors_.size() != cfg_.tasks.sources.size()) {
    return absl::FailedPreconditionError("checkpoint has " + std::to_string(cursors_.size()) +
                                         " data cursors but tasks.sources has " +
                                         std::to_string(cfg_.tasks.sources.size()) + " entries");
  }
  std::vector<curricula::TaskMixStage> schedule;
  for (const auto& st : cfg_.curriculum.task_mix) schedule.push_back({st.from_step, st.weights});
  RL_ASSIGN_OR_RETURN(auto mix, curricula::TaskMix::Create(names, weights, schedule,
                                                           static_cast<uint64_t>(cfg_.run.seed)));
  mix_.emplace(std::move(mix));
  const auto& lc = cfg_.curriculum.length;
  curricula::LengthCurriculumOptions lo{lc.stages,         lc.start_stage,  lc.window,
                                        lc.ppl_rel_change, lc.p99_fraction, lc.max_steps_per_stage};
  curriculum_ = std::make_unique<curricula::LengthCurriculum>(lo, cfg_.rollout.max_new_tokens);
  if (!curriculum_state_.empty()) RL_RETURN_IF_ERROR(curriculum_->LoadState(curriculum_state_));
  RL_RETURN_IF_ERROR(SetupCurricula());
  RL_ASSIGN_OR_RETURN(rewards_, rewards::BuildRewards(cfg_.rewards, cfg_.sandbox));
  // Held-out set: generated with seeds no training source uses, or read from a file.
  const auto& ev = cfg_.tasks.eval;
  if (ev.every_steps > 0 && (!ev.generator.empty() || !ev.path.empty())) {
    if (!ev.generator.empty()) {
      config::TaskSourceSection es;
      es.name = "eval";
      es.generator = ev.generator;
      es.params = ev.params;
      RL_ASSIGN_OR_RETURN(eval_tasks_,
                          rewards::GenerateSourceTasks(es, ev.size, EvalSeedBase(cfg_.run.seed)));
    } else {
      RL_ASSIGN_OR_RETURN(eval_tasks_, tasks::ReadTasksJsonl(ev.path));
      if (static_cast<int64_t>(eval_tasks_.size()) > ev.size) eval_tasks_.resize(ev.size);
    }
    for (const auto& t : eval_tasks_) eval_prompts_.insert(t.prompt);
    // The held-out set as a task file, for `rl eval --tasks` and for audits.
    RL_RETURN_IF_ERROR(tasks::WriteTasksJsonl(ctx_.dir + "/heldout.jsonl", eval_tasks_));
  }
  RL_RETURN_IF_ERROR(SetupWorkers());
  version_ = start_step_ - 1;
  return PushWeights(version_, start_step_ - 1);
}

std::string Driver::Response(const std::vector<int32_t>& tokens) const {
  std::vector<int32_t> t = tokens;
  if (!t.empty() &&
      std::find(stop_tokens_.begin(), stop_tokens_.end(), t.back()) != stop_tokens_.end()) {
    t.pop_back();
  }
  return tokenizer::SanitizeUtf8(tok_->Decode(t));
}

// Generation with recovery: the client already re-sends a failed worker's requests to the
// others; when every worker failed, dead local workers are restarted, receive the current
// weights, and the call is retried once.
StatusOr<std::vector<rollout::WorkerSample>> Driver::Generate(
    const std::vector<rollout::GenerationRequest>& requests, int64_t step) {
  auto r = client_->Generate(requests);
  if (r.ok()) return r;
  Alert(step, "rollout_failed", std::string(r.status().message()), "error");
  // The prefetch thread does no recovery (it would reconnect the client under the main
  // thread's feet): the main thread redoes the rollout.
  if (OnPrefetchThread()) return r.status();
  RL_RETURN_IF_ERROR(CheckWorkers(step));
  return client_->Generate(requests);
}

// Steps 1–3 of a step for groups first_group … first_group + B − 1 (dynamic sampling calls it
// again for refill rounds); request ids and seeds depend on the group's index in the step.
Status Driver::Rollout(int64_t step, int64_t first_group, int64_t B, StepRollout* out) {
  const int64_t G = cfg_.rollout.group_size;
  const int64_t budget = rollout_budget_;
  // 1. Prompts by the task mix (Draw depends only on (seed, step)), through the difficulty
  // filter when enabled.
  std::vector<int> src = mix_->Draw(step, static_cast<int>(B));
  std::vector<tasks::Task> step_tasks(static_cast<size_t>(B));
  std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(B));
  for (int64_t i = 0; i < B; ++i) {
    RL_ASSIGN_OR_RETURN(step_tasks[i],
                        DrawTask(step, static_cast<size_t>(src[i]), first_group + i));
    prompts[i] = tok_->Encode(tasks::ApplyChatTemplate(step_tasks[i].prompt));
  }
  // 2. prompts × G requests, one RNG stream each, held until this step's version is live.
  std::vector<rollout::GenerationRequest> reqs;
  for (int64_t i = 0; i < B; ++i) {
    for (int64_t j = 0; j < G; ++j) {
      rollout::GenerationRequest q;
      q.request_id = "s" + std::to_string(step) + "-p" + std::to_string(first_group + i) + "-g" +
                     std::to_string(j);
      q.group_index = first_group + i;
      q.prompt = prompts[i];
      q.max_new_tokens = budget;
      q.sampling = {cfg_.rollout.sampling.temperature, cfg_.rollout.sampling.top_p,
                    cfg_.rollout.sampling.top_k, cfg_.rollout.sampling.min_p, tok_->vocab_size()};
      q.seed = Mix({static_cast<uint64_t>(cfg_.run.seed), static_cast<uint64_t>(step),
                    static_cast<uint64_t>(first_group + i), static_cast<uint64_t>(j)});
      q.stop_tokens = stop_tokens_;
      q.min_policy_version = rollout_min_version_;
      reqs.push_back(std::move(q));
    }
  }
  const auto tg = Clock::now();
  RL_ASSIGN_OR_RETURN(auto got, Generate(reqs, step));
  const double gen_s = Seconds(tg);
  std::map<std::string, size_t> index;
  for (size_t k = 0; k < reqs.size(); ++k) index[reqs[k].request_id] = k;
  std::vector<rollout::GenerationResult> res(reqs.size());
  std::vector<int> answered(reqs.size(), 0);
  for (auto& ws : got) {
    auto it = index.find(ws.result.request_id);
    if (it == index.end())
      return absl::InternalError("sample for unknown request " + ws.result.request_id);
    if (answered[it->second]++)
      return absl::InternalError("request answered twice: " + ws.result.request_id);
    res[it->second] = std::move(ws.result);
  }
  for (size_t k = 0; k < reqs.size(); ++k) {
    if (!answered[k]) return absl::InternalError("request not answered: " + reqs[k].request_id);
  }
  // 3. Rewards.
  const size_t N = reqs.size();
  std::vector<std::string> texts(N);
  std::vector<rewards::VerifyInput> inputs(N);
  for (size_t k = 0; k < N; ++k) {
    texts[k] = Response(res[k].tokens);
    inputs[k].task = &step_tasks[k / static_cast<size_t>(G)];
    inputs[k].response = texts[k];
    inputs[k].response_tokens = static_cast<int64_t>(res[k].tokens.size());
    inputs[k].budget_tokens = budget;
  }
  std::vector<rewards::VerifyResult> vr = rewards_.pool->VerifyBatch(inputs);
  std::vector<double> reward(N);
  std::vector<bool> keep(N, true);
  int64_t tripped = 0, truncated = 0, aborted = 0, judged = 0, correct = 0;
  for (size_t k = 0; k < N; ++k) {
    reward[k] = vr[k].reward;
    if (vr[k].alert) {
      Alert(step, "verifier", "verifier fell back to the fallback reward for " + reqs[k].request_id,
            "warning", vr[k].details);
    }
    if (vr[k].correct.has_value()) {
      ++judged;
      correct += *vr[k].correct ? 1 : 0;
    }
    switch (res[k].finish_reason) {
      case rollout::FinishReason::kRepetition:
        ++tripped;
        if (cfg_.rollout.repetition.treatment == "zero")
          reward[k] = 0;
        else if (cfg_.rollout.repetition.treatment == "penalty")
          reward[k] = cfg_.rollout.repetition.penalty;
        else
          keep[k] = false;
        break;
      case rollout::FinishReason::kLength:
        ++truncated;
        break;
      case rollout::FinishReason::kAborted:
        ++aborted;
        keep[k] = false;
        Alert(step, "rollout_aborted", reqs[k].request_id + ": " + res[k].error);
        break;
      default:
        break;
    }
    if (res[k].tokens.empty()) keep[k] = false;
  }
  out->tripped += tripped;
  out->truncated += truncated;
  out->aborted += aborted;
  out->judged += judged;
  out->correct += correct;
  out->gen_s += gen_s;
  for (int64_t i = 0; i < B; ++i) {
    out->tasks.push_back(std::move(step_tasks[i]));
    out->prompts.push_back(std::move(prompts[i]));
    out->dropped_group.push_back(false);
  }
  for (size_t k = 0; k < N; ++k) {
    out->reqs.push_back(std::move(reqs[k]));
    out->res.push_back(std::move(res[k]));
    out->texts.push_back(std::move(texts[k]));
    out->vr.push_back(std::move(vr[k]));
    out->reward.push_back(reward[k]);
    out->keep.push_back(keep[k]);
  }
  return absl::OkStatus();
}

Status Driver::Step(int64_t step) {
  const auto t0 = Clock::now();
  const int64_t G = cfg_.rollout.group_size;
  const int64_t budget = curriculum_->budget();
  const int64_t stage = curriculum_->stage();
  learner::Metrics cm;  // curriculum and filtering metrics of the step
  cm["curriculum/eps_low"] = learner_->loss_options().eps_low;
  cm["curriculum/eps_high"] = learner_->loss_options().eps_high;
  StepRollout ro;
  bool prefetched = false;
  JoinPrefetch();
  rollout_budget_ = budget;
  rollout_min_version_ = version_;
  if (prefetch_status_ && prefetch_step_ == step) {
    if (prefetch_status_->ok()) {
      ro = std::move(*prefetched_);
      prefetched = true;
    } else {
      Alert(step, "prefetch_failed",
            "overlapped rollout failed, generating again: " +
                std::string(prefetch_status_->message()));
    }
  }
  prefetch_status_.reset();
  prefetched_.reset();
  cursors_before_prefetch_.reset();
  if (!prefetched) {
    filter_counts_ = {};
    RL_RETURN_IF_ERROR(Rollout(step, 0, cfg_.rollout.prompts_per_step, &ro));
  }
  if (cfg_.algorithm.drop_zero_variance) RL_RETURN_IF_ERROR(RefillZeroVariance(step, &ro, &cm));
  RecordDifficulty(step, ro, &cm);
  MonitorLengthBias(step, &ro, &cm);
  const int64_t B = static_cast<int64_t>(ro.tasks.size());
  const auto& step_tasks = ro.tasks;
  const auto& prompts = ro.prompts;
  const auto& reqs = ro.reqs;
  const auto& res = ro.res;
  const auto& texts = ro.texts;
  const auto& vr = ro.vr;
  const auto& reward = ro.reward;
  const auto& keep = ro.keep;
  const int64_t tripped = ro.tripped, truncated = ro.truncated, aborted = ro.aborted;
  const int64_t judged = ro.judged, correct = ro.correct;
  const double gen_s = ro.gen_s;
  const size_t N = reqs.size();
  // 4. Group advantages over the kept samples of each group.
  std::vector<double> adv(N, 0.0);
  learner::GroupAdvantageOptions ao{cfg_.algorithm.normalize_std, cfg_.algorithm.eps_std};
  int64_t zero_var = 0;
  for (int64_t i = 0; i < B; ++i) {
    std::vector<double> r;
    std::vector<size_t> at;
    for (int64_t j = 0; j < G; ++j) {
      size_t k = static_cast<size_t>(i * G + j);
      if (keep[k]) {
        r.push_back(reward[k]);
        at.push_back(k);
      }
    }
    if (r.empty()) continue;
    int64_t zv = 0;
    auto a = learner::GroupAdvantages(r, static_cast<int64_t>(r.size()), ao, &zv);
    zero_var += zv;
    for (size_t m = 0; m < at.size(); ++m) adv[at[m]] = a[m];
  }
  // Overlap: the next step's prompts are drawn and generated (by this step's policy, so with
  // staleness 1) while this step trains and its weights are pushed.
  if (cfg_.rollout.max_staleness > 0 && step < cfg_.run.steps && !g_stop.load() &&
      !pause_requested_ && !TimeUp()) {
    LaunchPrefetch(step + 1);
  }
  // 5. The learner step on the packed batch; old log-probs are the rollout's.
  learner::RlBatch batch;
  batch.offsets.push_back(0);
  double logp_sum = 0;
  int64_t logp_n = 0;
  for (size_t k = 0; k < N; ++k) {
    for (float lp : res[k].logprobs) {
      logp_sum += lp;
      ++logp_n;
    }
    if (!keep[k]) continue;
    const auto& p = prompts[k / static_cast<size_t>(G)];
    batch.tokens.insert(batch.tokens.end(), p.begin(), p.end());
    batch.old_logp.insert(batch.old_logp.end(), p.size(), 0.0f);
    batch.tokens.insert(batch.tokens.end(), res[k].tokens.begin(), res[k].tokens.end());
    batch.old_logp.insert(batch.old_logp.end(), res[k].logprobs.begin(), res[k].logprobs.end());
    batch.offsets.push_back(static_cast<int64_t>(batch.tokens.size()));
    batch.prompt_lens.push_back(static_cast<int64_t>(p.size()));
    batch.advantages.push_back(adv[k]);
  }
  const int64_t S = static_cast<int64_t>(batch.prompt_lens.size());
  learner::Metrics m;
  const auto tt = Clock::now();
  if (S > 0) {
    RL_ASSIGN_OR_RETURN(m, learner_->TrainStep(batch));
    sequences_consumed_ += S;
    learner_->set_data_cursor(sequences_consumed_);
  }
  const double train_s = Seconds(tt);
  // 6. Publish version = step.
  const auto ts = Clock::now();
  RL_RETURN_IF_ERROR(PushWeights(step, step));
  const double sync_s = Seconds(ts);
  // 7. Metrics, samples, curriculum.
  std::vector<double> len, rw;
  std::vector<std::optional<bool>> judged_correct;
  double gen_tokens = 0, staleness = 0;
  for (size_t k = 0; k < N; ++k) {
    double l = static_cast<double>(res[k].tokens.size());
    len.push_back(l);
    gen_tokens += l;
    rw.push_back(reward[k]);
    judged_correct.push_back(vr[k].correct);
    staleness += static_cast<double>(version_ - 1 - std::max<int64_t>(res[k].policy_version, 0));
  }
  double mean_r = 0, var_r = 0;
  for (double x : rw) mean_r += x / static_cast<double>(N);
  for (double x : rw) var_r += (x - mean_r) * (x - mean_r) / static_cast<double>(N);
  double mean_len = gen_tokens / static_cast<double>(N);
  m["reward/mean"] = mean_r;
  m["reward/std"] = std::sqrt(var_r);
  if (judged > 0) m["reward/accuracy"] = static_cast<double>(correct) / static_cast<double>(judged);
  m["groups/zero_variance"] = static_cast<double>(zero_var);
  m["length/mean"] = mean_len;
  m["length/p50"] = Percentile(len, 0.5);
  m["length/p90"] = Percentile(len, 0.9);
  m["length/p99"] = Percentile(len, 0.99);
  AddSplitLengthMetrics(len, judged_correct, &m);
  m["length/truncation_rate"] = static_cast<double>(truncated) / static_cast<double>(N);
  m["repetition/rate"] = static_cast<double>(tripped) / static_cast<double>(N);
  m["rollout/tokens_per_s"] = gen_s > 0 ? gen_tokens / gen_s : 0;
  m["rollout/staleness_mean"] = staleness / static_cast<double>(N);
  m["rollout/aborted"] = static_cast<double>(aborted);
  m["rollout/seconds"] = gen_s;
  m["train/seconds"] = train_s;
  m["train/sequences"] = static_cast<double>(S);
  m["train/sequences_total"] = static_cast<double>(sequences_consumed_);
  m["curriculum/stage"] = static_cast<double>(stage);
  m["curriculum/budget"] = static_cast<double>(budget);
  const double ppl = logp_n > 0 ? std::exp(-logp_sum / static_cast<double>(logp_n)) : 1.0;
  m["curriculum/perplexity"] = ppl;
  for (const auto& [name, value] : cm) m[name] = value;
  const double step_s = Seconds(t0);
  m["time/step_s"] = step_s;
  ctx_.store->LogMetrics(ctx_.run_id, step, m);
  const double now = store::WallTime();
  for (size_t k = 0; k < N; ++k) {
    store::SampleRow row;
    row.run_id = ctx_.run_id;
    row.step = step;
    row.group_idx = static_cast<int64_t>(k) / G;
    const auto& t = step_tasks[k / static_cast<size_t>(G)];
    row.prompt_id = t.id;
    row.prompt = t.prompt;
    row.response = texts[k];
    row.token_count = static_cast<int64_t>(res[k].tokens.size());
    row.reward = reward[k];
    row.correct = vr[k].correct;
    nlohmann::json d = vr[k].details;
    d["request_id"] = reqs[k].request_id;
    d["trained"] = static_cast<bool>(keep[k]);
    if (prefetched) d["overlapped"] = true;
    if (ro.dropped_group[k / static_cast<size_t>(G)]) d["dropped"] = "zero_variance";
    double lp = 0;
    for (float x : res[k].logprobs) lp += x;
    d["logp_sum"] = lp;
    row.verifier_details = d.dump();
    row.finish_reason = std::string(rollout::FinishReasonName(res[k].finish_reason));
    row.policy_version = res[k].policy_version;
    row.wall_time = now;
    ctx_.store->AddSample(std::move(row));
  }
  if (auto tr = curriculum_->Observe(step, ppl, Percentile(len, 0.99))) {
    store::CurriculumEventRow ev;
    ev.run_id = ctx_.run_id;
    ev.step = step;
    ev.curriculum = "length";
    ev.old_value = std::to_string(tr->old_budget);
    ev.new_value = std::to_string(tr->new_budget);
    ev.reason = tr->reason;
    ev.evidence = tr->evidence_json;
    ev.wall_time = now;
    ctx_.store->AddCurriculumEvent(std::move(ev));
    std::cerr << "rl train: length stage " << tr->old_stage << " -> " << tr->new_stage
              << " (budget " << tr->new_budget << ", " << tr->reason << ")\n";
    ApplyStageClipping(nullptr);
  }
  if (options_.progress) {
    const double per_step = Seconds(started_) / static_cast<double>(step - start_step_ + 1);
    char line[512];
    std::snprintf(line, sizeof(line),
                  "step %lld/%lld | reward %.3f | acc %.3f | len %.1f p99 %.0f | %.0f tok/s | "
                  "stage %lld (%lld) | step %.2fs sync %.0fms | ETA %s",
                  static_cast<long long>(step), static_cast<long long>(cfg_.run.steps), mean_r,
                  judged > 0 ? static_cast<double>(correct) / static_cast<double>(judged) : 0.0,
                  mean_len, Percentile(len, 0.99), m["rollout/tokens_per_s"],
                  static_cast<long long>(stage), static_cast<long long>(budget), step_s,
                  sync_s * 1000.0,
                  FormatEta(per_step * static_cast<double>(cfg_.run.steps - step)).c_str());
    std::cerr << line << "\n";
  }
  return absl::OkStatus();
}

void Driver::LaunchPrefetch(int64_t next_step) {
  JoinPrefetch();
  cursors_before_prefetch_ = cursors_;
  filter_counts_ = {};
  prefetched_ = std::make_unique<StepRollout>();
  prefetch_step_ = next_step;
  prefetch_status_.reset();
  rollout_budget_ = curriculum_->budget();
  rollout_min_version_ = version_;
  StepRollout* out = prefetched_.get();
  const int64_t n = cfg_.rollout.prompts_per_step;
  prefetch_ = std::async(std::launch::async,
                         [this, next_step, n, out] { return Rollout(next_step, 0, n, out); });
}

void Driver::JoinPrefetch() {
  if (prefetch_.valid()) prefetch_status_ = prefetch_.get();
}

Status Driver::Run() {
  int64_t last_saved = start_step_ - 1;
  const auto& ev = cfg_.tasks.eval;
  if (start_step_ == 1 && !ctx_.resumed) {
    if (cfg_.cold_start.steps > 0) {
      RL_RETURN_IF_ERROR(ColdStart());
      RL_RETURN_IF_ERROR(SaveCheckpoint(0));
      last_saved = 0;
    }
    // The starting point of the RL curve (after the cold start, if any).
    if (ev.every_steps > 0) RL_RETURN_IF_ERROR(Evaluate(0));
  }
  int64_t step = start_step_;
  bool time_up = false;
  for (; step <= cfg_.run.steps; ++step) {
    if (g_stop.load()) break;
    if (TimeUp()) {
      time_up = true;
      break;
    }
    RL_RETURN_IF_ERROR(Step(step));
    if (ev.every_steps > 0 && step % ev.every_steps == 0) {
      JoinPrefetch();
      RL_RETURN_IF_ERROR(Evaluate(step));
    }
    if (cfg_.checkpoint.every > 0 && step % cfg_.checkpoint.every == 0) {
      JoinPrefetch();
      RL_RETURN_IF_ERROR(SaveCheckpoint(step));
      last_saved = step;
    }
    RL_RETURN_IF_ERROR(ctx_.store->Flush());
    if (options_.after_step) options_.after_step(step);
    if (pause_requested_) {
      ++step;
      break;
    }
    if (step < cfg_.run.steps && !g_stop.load()) RL_RETURN_IF_ERROR(CheckWorkers(step));
  }
  JoinPrefetch();  // a rollout for a step that will not run is dropped (the checkpoint's
                   // cursors are from before it, so --resume draws it again)
  const int64_t done = step - 1;
  const bool interrupted = g_stop.load() && done < cfg_.run.steps;
  // The end point of the curve when the last step was not an evaluation step.
  if (!interrupted && !pause_requested_ && ev.every_steps > 0 && done > 0 &&
      last_eval_step_ != done) {
    RL_RETURN_IF_ERROR(Evaluate(done));
  }
  if (done > last_saved) RL_RETURN_IF_ERROR(SaveCheckpoint(done));
  const char* status = pause_requested_ && done < cfg_.run.steps ? "paused"
                       : interrupted                             ? "interrupted"
                                                                 : "completed";
  ctx_.store->SetRunStatus(ctx_.run_id, status, /*ended=*/true);
  RL_RETURN_IF_ERROR(ctx_.store->Flush());
  std::cerr << "rl train: " << status << " after step " << done
            << (time_up ? " (run.time_limit_minutes reached)" : "") << "; checkpoint " << ctx_.dir
            << "/checkpoints/step_" << done << "\n";
  return absl::OkStatus();
}

}  // namespace internal

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::atomic<bool>& StopRequested() { return g_stop; }

Status RunTraining(RunContext& ctx, const TrainOptions& options) {
  Driver d(ctx, options);
  Status st = d.Setup();
  if (st.ok()) st = d.Run();
  if (!st.ok()) {
    ctx.store->SetRunStatus(ctx.run_id, "failed", /*ended=*/true);
    (void)ctx.store->Flush();
  }
  return st;
}

}  // namespace rl::driver
