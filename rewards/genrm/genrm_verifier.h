// GenRM: a generative reward model — a checkpoint served in-process by the rollout engine
// (rollout/engine.h: continuous batching over ModelBackend) — registered as the verifier
// "genrm". Two modes (MiniMax-M1 §3.3, docs/genrm.md):
//   grade    (the task has a reference answer, task.answer): the judge grades the response
//            1–5 against it; reward = (grade − 1) / 4 ∈ [0, 1];
//   pairwise (no ground truth; metadata[reference_field], default "reference_response", is a
//            reference response): the judge answers −1 / 0 / +1 (the response is worse than /
//            as good as / better than the reference); reward = the verdict.
// metadata.genrm_mode ("grade" | "pairwise") forces a mode.
// The judge prompt is a template (rewards.genrm.grade_template / pairwise_template, see
// verdict.h for the placeholder rules); the verdict is decoded greedily (temperature 0 by
// default) with at most max_verdict_tokens new tokens and parsed after its last </think>.
//
// Result: details.genrm = {mode, score, verdict (the raw judge text), prompt_tokens,
// verdict_tokens, finish_reason}; correct = null (GenRM does not judge correctness). An
// unparsable verdict, a judge failure or a task with neither reference is an error Status
// whose message carries the raw verdict text — the pool stores it as an alert with
// details.error, never as a silent zero.
//
// Thread-safety: Verify() is thread-safe; concurrent calls are batched by the engine.
// The judge backend is injectable (JudgeFn) so tests can script verdicts.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "rewards/verifier.h"
#include "rl/config/run_config.h"

namespace rl::rewards::genrm {

extern const char kDefaultGradeTemplate[];
extern const char kDefaultPairwiseTemplate[];

struct GenRMOptions {
  std::string checkpoint;         // judge checkpoint directory (with tokenizer.json)
  std::string grade_template;     // empty = kDefaultGradeTemplate
  std::string pairwise_template;  // empty = kDefaultPairwiseTemplate
  std::string reference_field = "reference_response";
  int64_t max_verdict_tokens = 64;
  double temperature = 0.0;  // 0 = greedy
  uint64_t seed = 0;
  int max_batch = 8;           // judge sequences decoded together
  int threads = 1;             // compute threads of the judge model
  bool chat_template = true;   // wrap the filled prompt in the chat template
  bool strip_thinking = true;  // judge only the text after the response's last </think>
};

GenRMOptions OptionsFromConfig(const config::GenRMSection& section);

struct JudgeOutput {
  std::string text;            // the raw verdict
  int64_t prompt_tokens = -1;  // -1 = unknown (scripted judges)
  int64_t verdict_tokens = -1;
  std::string finish_reason;  // "eos", "length", … ("" when unknown)
};

// Generates the judge's reply to a filled prompt; honours the deadline (DeadlineExceeded).
using JudgeFn =
    std::function<StatusOr<JudgeOutput>(const std::string& prompt, Clock::time_point deadline)>;

// The in-process engine judge: loads options.checkpoint (config.json, weights,
// tokenizer.json) and starts a RolloutEngine with its own thread. Errors name the directory.
StatusOr<JudgeFn> MakeEngineJudge(const GenRMOptions& options);

// The verifier over any judge. Validates the templates (errors name the YAML field).
StatusOr<std::shared_ptr<Verifier>> MakeGenRMVerifier(GenRMOptions options, JudgeFn judge);

// MakeEngineJudge + MakeGenRMVerifier.
StatusOr<std::shared_ptr<Verifier>> MakeGenRMVerifier(GenRMOptions options);

}  // namespace rl::rewards::genrm
