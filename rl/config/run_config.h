// The schema of a whole run, one struct per YAML section (see schema.h for how a section is
// written). Every field has a default, so an empty file is a valid config; documentation of
// every key is generated from these declarations into docs/config.md (`rl config doc`).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rl/config/schema.h"

namespace rl::config {

struct RunSection {
  std::string name = "run";
  int64_t seed = 0;
  std::string dir;  // empty → runs/<name>
  int64_t steps = 100;
  double time_limit_minutes = 0;
  std::string description;
  template <class V>
  void Visit(V& v) {
    v.Field("name", name, Doc("run name, shown by `rl runs`"));
    v.Field("seed", seed, Doc("seed of every random stream of the run").Min(0));
    v.Field("dir", dir, Doc("run directory (run.sqlite, checkpoints/, logs); empty = runs/<name>"));
    v.Field("steps", steps,
            Doc("number of RL steps (generation batch + learner update); 0 = only the cold start")
                .Min(0));
    v.Field("time_limit_minutes", time_limit_minutes,
            Doc("stop (final eval + checkpoint) once this many minutes passed since `rl train` "
                "started, cold start included (0 = no limit)")
                .Min(0));
    v.Field("description", description, Doc("free text stored with the run"));
  }
};

// An inline architecture: used when model.checkpoint is empty. Defaults are the embedded
// default model (small hybrid lightning/softmax MoE).
struct ArchSection {
  int64_t vocab_size = 512;
  int64_t hidden_size = 128;
  int64_t num_layers = 4;
  std::vector<std::string> layer_types = {"linear_attention", "linear_attention",
                                          "linear_attention", "full_attention"};
  int64_t num_heads = 4;
  int64_t head_dim = 32;
  int64_t num_kv_heads = 2;
  int64_t rotary_dim = 16;
  double rope_theta = 10000.0;
  int64_t intermediate_size = 256;
  int64_t num_experts = 4;
  int64_t experts_per_token = 2;
  int64_t max_position = 8192;
  double rms_norm_eps = 1e-5;
  template <class V>
  void Visit(V& v) {
    v.Field("vocab_size", vocab_size, Doc("vocabulary size").Min(2));
    v.Field("hidden_size", hidden_size, Doc("model width C").Min(1));
    v.Field("num_layers", num_layers, Doc("decoder layers L").Min(1));
    v.Field("layer_types", layer_types,
            Doc("per layer: linear_attention (lightning) or full_attention (softmax)")
                .OneOf({"linear_attention", "full_attention"}));
    v.Field("num_heads", num_heads,
            Doc("attention heads H (a power of two for lightning decay)").Min(1));
    v.Field("head_dim", head_dim, Doc("head dimension D").Min(1));
    v.Field("num_kv_heads", num_kv_heads, Doc("key/value heads of softmax layers (GQA)").Min(1));
    v.Field("rotary_dim", rotary_dim,
            Doc("dims of each head rotated by RoPE (partial RoPE)").Min(0));
    v.Field("rope_theta", rope_theta, Doc("RoPE base").Min(0, true));
    v.Field("intermediate_size", intermediate_size, Doc("expert hidden size I").Min(1));
    v.Field("num_experts", num_experts, Doc("experts E (1 = dense MLP)").Min(1));
    v.Field("experts_per_token", experts_per_token, Doc("router top-k").Min(1));
    v.Field("max_position", max_position, Doc("longest sequence").Min(1));
    v.Field("rms_norm_eps", rms_norm_eps, Doc("RMSNorm epsilon").Min(0, true));
  }
  void Validate(ConfigErrors& e) const {
    if (static_cast<int64_t>(layer_types.size()) != num_layers) {
      e.At("layer_types", "has " + std::to_string(layer_types.size()) +
                              " entries but num_layers is " + std::to_string(num_layers));
    }
    if (num_heads % num_kv_heads != 0) e.At("num_kv_heads", "must divide num_heads");
    if (rotary_dim > head_dim) e.At("rotary_dim", "must be <= head_dim");
    if (rotary_dim % 2 != 0) e.At("rotary_dim", "must be even");
    if (experts_per_token > num_experts) e.At("experts_per_token", "must be <= num_experts");
  }
};

struct ModelSection {
  std::string checkpoint;  // a Hugging Face directory; empty → arch
  std::string tokenizer;   // tokenizer.json; empty → the checkpoint's or the embedded one
  ArchSection arch;
  template <class V>
  void Visit(V& v) {
    v.Field("checkpoint", checkpoint,
            Doc("Hugging Face checkpoint directory (config.json + model.safetensors); empty = "
                "initialise `arch` randomly"));
    v.Field("tokenizer", tokenizer,
            Doc("tokenizer.json path; empty = the checkpoint's, or the embedded one"));
    v.Section("arch", arch, "inline architecture used when `checkpoint` is empty");
  }
};

struct TaskSourceSection {
  std::string name;
  std::string kind = "math";
  std::string path;       // JSONL of task records
  std::string generator;  // a built-in generator instead of a file
  std::map<std::string, double> params;
  double weight = 1.0;
  int64_t limit = 0;
  std::string prompt_template;      // kind swe: "" = the built-in default (docs/swe.md)
  int64_t files_max_bytes = 16000;  // kind swe: cap on the file contents in {files}
  template <class V>
  void Visit(V& v) {
    v.Field("name", name, Doc("source name (metrics use it)"));
    v.Field("kind", kind, Doc("task kind; selects the verifier via rewards.verifiers"));
    v.Field("path", path, Doc("JSONL file of task records {id, kind, prompt, answer, metadata}"));
    v.Field("generator", generator, Doc("built-in procedural generator instead of a file"));
    v.Field("params", params, Doc("generator parameters (e.g. difficulty)"));
    v.Field("weight", weight, Doc("share in the task mix (normalised over sources)").Min(0));
    v.Field("limit", limit, Doc("use at most this many records (0 = all)").Min(0));
    v.Field("prompt_template", prompt_template,
            Doc("kind swe: prompt with {problem_statement}, {files}, {file_list}, {instance_id} "
                "(empty = built-in default; docs/swe.md)"));
    v.Field("files_max_bytes", files_max_bytes,
            Doc("kind swe: total bytes of file contents in {files}; files past it are listed "
                "by name only")
                .Min(0));
  }
  void Validate(ConfigErrors& e) const {
    if (path.empty() == generator.empty()) e.At("path", "set exactly one of path or generator");
    if (kind == "swe" && path.empty())
      e.At("path", "a swe source reads an SWE instances JSONL (docs/swe.md)");
  }
};

struct EvalSection {
  std::string path;
  std::string generator;
  std::map<std::string, double> params;
  int64_t size = 200;
  int64_t every_steps = 10;
  template <class V>
  void Visit(V& v) {
    v.Field("path", path, Doc("held-out JSONL task set (never trained on)"));
    v.Field("generator", generator,
            Doc("or a built-in generator with a seed disjoint from training"));
    v.Field("params", params, Doc("generator parameters"));
    v.Field("size", size, Doc("number of held-out tasks").Min(1));
    v.Field("every_steps", every_steps, Doc("evaluate every N steps (0 = never)").Min(0));
  }
};

struct TasksSection {
  std::vector<TaskSourceSection> sources;
  EvalSection eval;
  template <class V>
  void Visit(V& v) {
    v.List("sources", sources, "training task sources and their mix");
    v.Section("eval", eval, "held-out evaluation set");
  }
};

struct SamplingSection {
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  double min_p = 0.0;
  template <class V>
  void Visit(V& v) {
    v.Field("temperature", temperature, Doc("sampling temperature T (0 = greedy)").Min(0));
    v.Field("top_p", top_p, Doc("nucleus sampling mass").Min(0, true).Max(1));
    v.Field("top_k", top_k, Doc("keep the k most likely tokens (0 = off)").Min(0));
    v.Field("min_p", min_p, Doc("drop tokens below min_p × the top probability").Range(0, 1));
  }
};

struct RepetitionSection {
  int64_t consecutive = 3000;
  double prob_threshold = 0.99;
  int64_t ngram = 0;
  int64_t ngram_repeats = 0;
  std::string treatment = "zero";
  double penalty = -1.0;
  template <class V>
  void Visit(V& v) {
    v.Field("consecutive", consecutive,
            Doc("M1 breaker: stop after N consecutive tokens each above prob_threshold (0 = off)")
                .Min(0));
    v.Field("prob_threshold", prob_threshold, Doc("probability of the M1 breaker").Range(0, 1));
    v.Field("ngram", ngram, Doc("n-gram breaker: n (0 = off)").Min(0));
    v.Field("ngram_repeats", ngram_repeats,
            Doc("n-gram breaker: stop when the last n-gram repeated this often").Min(0));
    v.Field("treatment", treatment,
            Doc("reward of a tripped sample").OneOf({"zero", "penalty", "drop"}));
    v.Field("penalty", penalty, Doc("reward when treatment = penalty"));
  }
};

struct RolloutSection {
  int64_t workers = 2;
  std::vector<std::string> addresses;
  int64_t prompts_per_step = 8;
  int64_t group_size = 8;
  int64_t max_new_tokens = 512;
  int64_t max_staleness = 0;
  int64_t threads_per_worker = 1;
  double request_timeout_s = 600.0;
  double push_timeout_s = 30.0;
  SamplingSection sampling;
  RepetitionSection repetition;
  template <class V>
  void Visit(V& v) {
    v.Field("workers", workers,
            Doc("rollout worker processes to spawn locally (0 = use addresses)").Min(0));
    v.Field("addresses", addresses, Doc("host:port of already running workers"));
    v.Field("prompts_per_step", prompts_per_step, Doc("prompts B per step").Min(1));
    v.Field("group_size", group_size, Doc("responses G per prompt").Min(1));
    v.Field("max_new_tokens", max_new_tokens,
            Doc("generation budget when no length curriculum is set").Min(1));
    v.Field("max_staleness", max_staleness,
            Doc("0 = on-policy; >= 1: the next step is generated while this step trains, by "
                "this step's policy (staleness 1; larger values behave as 1)")
                .Min(0));
    v.Field("threads_per_worker", threads_per_worker, Doc("compute threads of each worker").Min(1));
    v.Field("request_timeout_s", request_timeout_s,
            Doc("deadline of one generation request").Min(0, true));
    v.Field("push_timeout_s", push_timeout_s,
            Doc("deadline of a weight push and of a status check per worker, and the longest "
                "silence (no sample, no heartbeat) of a generation stream; a worker that misses "
                "it is dropped (alert worker_dropped) and, if local, restarted")
                .Min(0, true));
    v.Section("sampling", sampling, "sampling parameters");
    v.Section("repetition", repetition, "repetition circuit breakers");
  }
  void Validate(ConfigErrors& e) const {
    if (workers == 0 && addresses.empty()) e.At("workers", "is 0 and no addresses are listed");
  }
};

struct AlgorithmSection {
  std::string name = "cispo";
  double eps_low = 1.0;
  double eps_high = 0.28;
  std::string token_mask = "none";
  double clip_eps = 0.2;
  double dual_clip_c = 3.0;
  double kl_beta = 0.0;
  std::string kl_estimator = "k3";
  bool balanced_advantages = false;
  std::string loss_agg = "token-mean";
  double loss_mix_w = 0.5;
  bool normalize_std = true;
  double eps_std = 1e-6;
  bool drop_zero_variance = false;
  int64_t max_refill_rounds = 2;
  int64_t updates_per_batch = 4;
  double tis_cap = 0.0;
  template <class V>
  void Visit(V& v) {
    v.Field("name", name, Doc("policy loss").OneOf({"cispo", "grpo"}));
    v.Field("eps_low", eps_low,
            Doc("CISPO: IS weight clipped below at 1 − eps_low (1 = no lower bound)").Min(0));
    v.Field("eps_high", eps_high, Doc("CISPO: IS weight clipped above at 1 + eps_high").Min(0));
    v.Field("token_mask", token_mask,
            Doc("CISPO token mask (M1 eq. 6)").OneOf({"none", "m1", "ppo"}));
    v.Field("clip_eps", clip_eps, Doc("GRPO: PPO clip range ε").Min(0));
    v.Field("dual_clip_c", dual_clip_c, Doc("GRPO: drop tokens with Â<0 and r > c").Min(1));
    v.Field("kl_beta", kl_beta, Doc("KL coefficient β (0 = no reference model)").Min(0));
    v.Field("kl_estimator", kl_estimator,
            Doc("KL estimator").OneOf({"k1", "k2", "k3", "low_var_kl"}));
    v.Field("balanced_advantages", balanced_advantages,
            Doc("GRPO: rescale so token-weighted positive and negative advantage mass are equal"));
    v.Field("loss_agg", loss_agg,
            Doc("loss aggregation")
                .OneOf({"token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "mix"}));
    v.Field("loss_mix_w", loss_mix_w,
            Doc("mix: w·token-mean + (1−w)·seq-mean-token-mean").Range(0, 1));
    v.Field("normalize_std", normalize_std, Doc("divide group advantages by the group std"));
    v.Field("eps_std", eps_std, Doc("ε added to the group std").Min(0));
    v.Field("drop_zero_variance", drop_zero_variance,
            Doc("dynamic sampling: drop groups whose rewards are all equal (not trained) and "
                "refill the batch with freshly drawn and generated prompts"));
    v.Field("max_refill_rounds", max_refill_rounds,
            Doc("dynamic sampling: at most this many refill generation rounds per step; a batch "
                "still short after them trains on the groups it has")
                .Min(0));
    v.Field("updates_per_batch", updates_per_batch,
            Doc("optimiser updates per generation batch").Min(1));
    v.Field("tis_cap", tis_cap,
            Doc("truncated importance sampling cap vs rollout log-probs (0 = off)").Min(0));
  }
};

struct OptimizerSection {
  double lr = 1e-6;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-15;
  double weight_decay = 0.0;
  bool decay_all = false;
  std::string schedule = "constant";
  int64_t warmup_steps = 0;
  double min_lr_ratio = 0.1;
  double clip_norm = 1.0;
  template <class V>
  void Visit(V& v) {
    v.Field("lr", lr, Doc("peak learning rate").Min(0, true));
    v.Field("beta1", beta1, Doc("AdamW β1").Range(0, 1));
    v.Field("beta2", beta2, Doc("AdamW β2 (M1: 0.95)").Range(0, 1));
    v.Field("eps", eps, Doc("AdamW ε (M1: 1e-15)").Min(0));
    v.Field("weight_decay", weight_decay, Doc("decoupled weight decay").Min(0));
    v.Field("decay_all", decay_all, Doc("also decay norms, biases and embeddings"));
    v.Field("schedule", schedule,
            Doc("learning-rate schedule").OneOf({"constant", "linear_warmup", "cosine"}));
    v.Field("warmup_steps", warmup_steps, Doc("linear warm-up steps").Min(0));
    v.Field("min_lr_ratio", min_lr_ratio, Doc("cosine floor as a fraction of lr").Range(0, 1));
    v.Field("clip_norm", clip_norm, Doc("global gradient-norm clip (0 = off)").Min(0));
  }
};

// Learner clipping settings for one length stage (M1 lowered them for long generations).
// A negative value keeps the algorithm section's setting.
struct StageOverrideSection {
  int64_t stage = 0;
  double eps_low = -1;
  double eps_high = -1;
  double clip_eps = -1;
  double dual_clip_c = -1;
  template <class V>
  void Visit(V& v) {
    v.Field("stage", stage, Doc("length stage index (0-based) these settings apply to").Min(0));
    v.Field("eps_low", eps_low, Doc("CISPO eps_low in this stage (negative = algorithm.eps_low)"));
    v.Field("eps_high", eps_high,
            Doc("CISPO eps_high in this stage (negative = algorithm.eps_high)"));
    v.Field("clip_eps", clip_eps,
            Doc("GRPO clip_eps in this stage (negative = algorithm.clip_eps)"));
    v.Field("dual_clip_c", dual_clip_c,
            Doc("GRPO dual_clip_c in this stage (negative = algorithm.dual_clip_c)"));
  }
};

struct LengthCurriculumSection {
  std::vector<int64_t> stages;
  int64_t start_stage = 0;
  int64_t window = 10;
  double ppl_rel_change = 0.01;
  double p99_fraction = 0.9;
  int64_t max_steps_per_stage = 0;
  std::vector<StageOverrideSection> stage_overrides;
  template <class V>
  void Visit(V& v) {
    v.Field(
        "stages", stages,
        Doc("generation budgets in tokens, e.g. [40960, 49152, …] (empty = rollout.max_new_tokens)")
            .Min(1));
    v.Field("start_stage", start_stage, Doc("manual override of the stage to start in").Min(0));
    v.Field("window", window, Doc("steps over which the advance rule is evaluated").Min(1));
    v.Field("ppl_rel_change", ppl_rel_change,
            Doc("perplexity converged when its relative change is below this").Min(0));
    v.Field("p99_fraction", p99_fraction,
            Doc("advance when p99 length ≥ this fraction of the budget").Range(0, 1));
    v.Field("max_steps_per_stage", max_steps_per_stage,
            Doc("hard cap on steps in a stage (0 = none)").Min(0));
    v.List("stage_overrides", stage_overrides,
           "learner clipping per length stage, e.g. [{stage: 2, eps_high: 0.2}]; applied when "
           "the stage starts and after --resume");
  }
  void Validate(ConfigErrors& e) const {
    for (size_t i = 1; i < stages.size(); ++i) {
      if (stages[i] <= stages[i - 1]) e.At("stages", "budgets must increase");
    }
    const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(stages.size()));
    std::vector<bool> seen(static_cast<size_t>(n), false);
    for (const auto& o : stage_overrides) {
      if (o.stage >= n) {
        e.At("stage_overrides", "stage " + std::to_string(o.stage) + " is past the last stage");
      } else if (seen[static_cast<size_t>(o.stage)]) {
        e.At("stage_overrides", "stage " + std::to_string(o.stage) + " is listed twice");
      } else {
        seen[static_cast<size_t>(o.stage)] = true;
      }
    }
    if (!stages.empty() && start_stage >= static_cast<int64_t>(stages.size())) {
      e.At("start_stage", "is past the last stage");
    }
  }
};

struct TaskMixStageSection {
  int64_t from_step = 0;
  std::map<std::string, double> weights;
  template <class V>
  void Visit(V& v) {
    v.Field("from_step", from_step, Doc("first step of this mix").Min(0));
    v.Field("weights", weights, Doc("weight per task source name").Min(0));
  }
};

struct DifficultySection {
  bool enabled = false;
  int64_t window = 8;
  double upper = 0.9;
  bool drop_unsolved = true;
  std::string mode = "drop";
  double downweight = 0.1;
  template <class V>
  void Visit(V& v) {
    v.Field("enabled", enabled, Doc("filter prompts by their recent pass rate"));
    v.Field("window", window, Doc("attempts k the pass rate is computed over").Min(1));
    v.Field("upper", upper, Doc("filter prompts whose pass rate over k is above this").Range(0, 1));
    v.Field("drop_unsolved", drop_unsolved,
            Doc("also filter prompts with pass rate exactly 0 over k"));
    v.Field("mode", mode, Doc("what filtering does").OneOf({"drop", "downweight"}));
    v.Field("downweight", downweight,
            Doc("sampling weight of a filtered prompt in downweight mode").Range(0, 1));
  }
};

struct LengthBiasSection {
  bool enabled = true;
  int64_t window = 20;
  double min_length_trend = 0.005;
  double min_reward_trend = 0.002;
  double max_heldout_trend = 0.0;
  std::string action = "log";
  double shaping_coef = 0.1;
  template <class V>
  void Visit(V& v) {
    v.Field("enabled", enabled, Doc("monitor GenRM rewards for length bias"));
    v.Field("window", window, Doc("steps of the sliding window").Min(2));
    v.Field("min_length_trend", min_length_trend,
            Doc("alert needs mean length to grow faster than this (relative, per step)"));
    v.Field("min_reward_trend", min_reward_trend,
            Doc("… and mean GenRM reward faster than this (per step)"));
    v.Field("max_heldout_trend", max_heldout_trend,
            Doc("… while held-out accuracy grows no faster than this (per step)"));
    v.Field("action", action,
            Doc("on alert: log it, pause the run, or shape rewards by length")
                .OneOf({"log", "pause", "shape"}));
    v.Field("shaping_coef", shaping_coef, Doc("shape: reward −= coef · z-score of length").Min(0));
  }
};

struct CurriculumSection {
  LengthCurriculumSection length;
  std::vector<TaskMixStageSection> task_mix;
  DifficultySection difficulty;
  LengthBiasSection length_bias;
  template <class V>
  void Visit(V& v) {
    v.Section("length", length, "staged generation budget (M1 §4)");
    v.List("task_mix", task_mix, "task-mix schedule over steps");
    v.Section("difficulty", difficulty, "difficulty filtering by per-prompt pass rate");
    v.Section("length_bias", length_bias, "GenRM length-bias monitor (M1 §3.3)");
  }
};

struct PluginSection {
  std::string name;
  std::string type = "shared_library";
  std::string path;
  std::vector<std::string> command;
  std::string address;
  template <class V>
  void Visit(V& v) {
    v.Field("name", name, Doc("verifier name the plugin registers"));
    v.Field("type", type, Doc("plugin form").OneOf({"shared_library", "process", "grpc"}));
    v.Field("path", path, Doc("shared_library: path of the .so"));
    v.Field("command", command, Doc("process: argv of a JSON-lines verifier"));
    v.Field("address", address, Doc("grpc: host:port of a verifier service"));
  }
};

struct GenRMSection {
  std::string checkpoint;
  std::string grade_template;
  std::string pairwise_template;
  std::string reference_field = "reference_response";
  int64_t max_verdict_tokens = 64;
  double temperature = 0.0;
  int64_t seed = 0;
  int64_t max_batch = 8;
  int64_t threads = 1;
  bool chat_template = true;
  bool strip_thinking = true;
  template <class V>
  void Visit(V& v) {
    v.Field("checkpoint", checkpoint,
            Doc("judge checkpoint directory; set = register the `genrm` verifier"));
    v.Field("grade_template", grade_template,
            Doc("1–5 grading prompt with {prompt} {reference} {response} (empty = built-in)"));
    v.Field(
        "pairwise_template", pairwise_template,
        Doc("−1/0/+1 comparison prompt with {prompt} {reference} {response} (empty = built-in)"));
    v.Field("reference_field", reference_field,
            Doc("task metadata field holding the reference response (pairwise mode)"));
    v.Field("max_verdict_tokens", max_verdict_tokens, Doc("new-token budget of a verdict").Min(1));
    v.Field("temperature", temperature, Doc("judge sampling temperature (0 = greedy)").Min(0));
    v.Field("seed", seed, Doc("judge sampling seed (temperature > 0)").Min(0));
    v.Field("max_batch", max_batch, Doc("judge sequences decoded together").Min(1));
    v.Field("threads", threads, Doc("compute threads of the judge model").Min(1));
    v.Field("chat_template", chat_template, Doc("wrap the judge prompt in the chat template"));
    v.Field("strip_thinking", strip_thinking,
            Doc("judge only the response text after its last </think>"));
  }
};

struct RewardsSection {
  std::map<std::string, std::string> verifiers = {{"math", "math"}};
  std::vector<PluginSection> plugins;
  double fallback_reward = 0.0;
  double timeout_s = 10.0;
  int64_t concurrency = 2;
  double format_weight = 0.0;
  int64_t overlong_buffer = 0;
  double overlong_penalty = 1.0;
  GenRMSection genrm;
  template <class V>
  void Visit(V& v) {
    v.Field("verifiers", verifiers, Doc("verifier name per task kind"));
    v.List("plugins", plugins, "user verifiers loaded without recompiling");
    v.Field("fallback_reward", fallback_reward,
            Doc("reward when a verifier errors (an alert is stored)"));
    v.Field("timeout_s", timeout_s, Doc("per-call verifier timeout").Min(0, true));
    v.Field("concurrency", concurrency, Doc("verifier calls in parallel").Min(1));
    v.Field("format_weight", format_weight, Doc("weight of the format reward (0 = off)").Min(0));
    v.Field("overlong_buffer", overlong_buffer,
            Doc("DAPO overlong penalty buffer in tokens (0 = off)").Min(0));
    v.Field("overlong_penalty", overlong_penalty,
            Doc("DAPO overlong penalty at the budget").Min(0));
    v.Section("genrm", genrm, "generative reward model judged by a checkpoint (docs/genrm.md)");
  }
};

struct SandboxSection {
  double cpu_s = 10.0;
  double wall_s = 20.0;
  int64_t memory_mb = 512;
  int64_t procs = 64;
  int64_t file_size_mb = 64;
  int64_t open_files = 64;
  int64_t output_kb = 1024;
  int64_t concurrency = 2;
  template <class V>
  void Visit(V& v) {
    v.Field("cpu_s", cpu_s, Doc("CPU-time limit per job").Min(0, true));
    v.Field("wall_s", wall_s, Doc("wall-clock limit per job").Min(0, true));
    v.Field("memory_mb", memory_mb, Doc("memory limit per job").Min(1));
    v.Field("procs", procs, Doc("process/thread limit per job").Min(1));
    v.Field("file_size_mb", file_size_mb, Doc("largest file a job may write").Min(0));
    v.Field("open_files", open_files, Doc("open-file limit per job").Min(4));
    v.Field("output_kb", output_kb, Doc("stdout/stderr captured per stream").Min(1));
    v.Field("concurrency", concurrency, Doc("sandboxes running at once").Min(1));
  }
};

struct CheckpointSection {
  int64_t every = 10;
  int64_t keep = 3;
  template <class V>
  void Visit(V& v) {
    v.Field("every", every, Doc("checkpoint every K steps (0 = only at the end)").Min(0));
    v.Field("keep", keep, Doc("keep the newest N checkpoints (0 = all)").Min(0));
  }
};

struct SftSection {
  std::string data;
  std::string output;
  int64_t steps = 100;
  int64_t batch_tokens = 4096;
  int64_t max_example_tokens = 4096;
  double lr = 1e-4;
  int64_t log_every = 1;
  int64_t save_every = 0;
  bool recompute = false;
  template <class V>
  void Visit(V& v) {
    v.Field("data", data, Doc("`rl sft`: JSONL file of {\"prompt\", \"response\"} records"));
    v.Field("output", output,
            Doc("`rl sft`: checkpoint directory to write; empty = <run dir>/sft"));
    v.Field("steps", steps, Doc("`rl sft`: optimiser steps").Min(1));
    v.Field("batch_tokens", batch_tokens,
            Doc("`rl sft`: tokens per packed batch of whole examples").Min(2));
    v.Field("max_example_tokens", max_example_tokens,
            Doc("`rl sft`: examples are truncated to this many tokens").Min(2));
    v.Field("lr", lr,
            Doc("`rl sft`: learning rate (β, ε, decay, clipping, schedule from `optimizer`)")
                .Min(0, true));
    v.Field("log_every", log_every, Doc("`rl sft`: progress line every K steps").Min(1));
    v.Field("save_every", save_every,
            Doc("`rl sft`: checkpoint every K steps (0 = only at the end)").Min(0));
    v.Field("recompute", recompute,
            Doc("activation recomputation per layer (less memory, ~1.3× time)"));
  }
};

// The SFT cold start of `rl train`: before the first RL step, supervised steps on the worked
// reference responses of the training sources (a task's metadata.response, as the arithmetic
// generator writes), with the held-out evaluation every eval_every steps.
struct ColdStartSection {
  int64_t steps = 0;
  int64_t examples_per_step = 32;
  double lr = 1e-3;
  int64_t warmup_steps = 0;
  int64_t eval_every = 0;
  template <class V>
  void Visit(V& v) {
    v.Field("steps", steps, Doc("SFT steps before RL (0 = no cold start)").Min(0));
    v.Field("examples_per_step", examples_per_step, Doc("examples per SFT step").Min(1));
    v.Field("lr", lr, Doc("cold-start learning rate (constant after warm-up)").Min(0, true));
    v.Field("warmup_steps", warmup_steps, Doc("linear warm-up steps of the cold start").Min(0));
    v.Field("eval_every", eval_every,
            Doc("held-out evaluation every N cold-start steps (0 = only at its end)").Min(0));
  }
};

struct RunConfig {
  RunSection run;
  ModelSection model;
  TasksSection tasks;
  RolloutSection rollout;
  AlgorithmSection algorithm;
  OptimizerSection optimizer;
  CurriculumSection curriculum;
  RewardsSection rewards;
  SandboxSection sandbox;
  CheckpointSection checkpoint;
  SftSection sft;
  ColdStartSection cold_start;
  template <class V>
  void Visit(V& v) {
    v.Section("run", run, "name, seed, run directory, length of the run");
    v.Section("model", model, "the policy: a checkpoint or an inline architecture");
    v.Section("tasks", tasks, "task sources, their mix and the held-out set");
    v.Section("rollout", rollout, "rollout workers, group size, sampling, circuit breakers");
    v.Section("algorithm", algorithm, "CISPO or the GRPO variant and their knobs");
    v.Section("optimizer", optimizer, "AdamW, schedule, gradient clipping");
    v.Section("curriculum", curriculum, "length and task-mix curricula");
    v.Section("rewards", rewards, "verifiers per task kind, plugins, shaping");
    v.Section("sandbox", sandbox, "limits of sandboxed code execution");
    v.Section("checkpoint", checkpoint, "checkpoint cadence and retention");
    v.Section("sft", sft, "supervised fine-tuning from JSONL (`rl sft`)");
    v.Section("cold_start", cold_start, "SFT cold start inside `rl train`, before RL");
  }
};

}  // namespace rl::config
