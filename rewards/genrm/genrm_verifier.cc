#include "rewards/genrm/genrm_verifier.h"

#include <atomic>
#include <future>
#include <map>

#include "rewards/genrm/verdict.h"
#include "rl/tasks/chat_template.h"
#include "rl/tokenizer/tokenizer.h"
#include "rollout/engine.h"
#include "rollout/model_backend.h"

namespace rl::rewards::genrm {

const char kDefaultGradeTemplate[] =
    "You are grading a response to a task against the task's reference answer.\n\n"
    "[Task]\n{prompt}\n\n[Reference answer]\n{reference}\n\n[Response]\n{response}\n\n"
    "Rate how well the response answers the task, judged against the reference answer, on a "
    "scale from 1 (wrong or unusable) to 5 (fully correct and complete). Do not reward length "
    "for its own sake. End your reply with one final line of exactly this form:\n"
    "Score: N\nwhere N is 1, 2, 3, 4 or 5.";

const char kDefaultPairwiseTemplate[] =
    "You are comparing two responses to the same task.\n\n"
    "[Task]\n{prompt}\n\n[Response A]\n{response}\n\n[Response B]\n{reference}\n\n"
    "Is Response A better than, as good as, or worse than Response B? Do not prefer a "
    "response for being longer. End your reply with one final line of exactly this form:\n"
    "Verdict: V\nwhere V is +1 (A is better), 0 (equally good) or -1 (A is worse).";

namespace {

const std::vector<std::string> kPlaceholders = {"prompt", "reference", "response"};

// s with invalid UTF-8 replaced by U+FFFD (a random or broken judge may emit any bytes;
// details must stay valid JSON).
std::string ValidUtf8(const std::string& s) {
  const std::string dumped =
      nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(dumped).get<std::string>();
}

std::string_view AfterLastThinkClose(std::string_view s) {
  const size_t p = s.rfind(tasks::kThinkClose);
  return p == std::string_view::npos ? s : s.substr(p + tasks::kThinkClose.size());
}

class GenRMVerifier : public Verifier {
 public:
  GenRMVerifier(GenRMOptions options, JudgeFn judge)
      : options_(std::move(options)), judge_(std::move(judge)) {}

  std::string name() const override { return "genrm"; }

  StatusOr<VerifyResult> Verify(const VerifyInput& input) override {
    if (input.task == nullptr) return absl::InvalidArgumentError("genrm: no task");
    const tasks::Task& task = *input.task;
    const std::string where = "genrm (task " + task.id + "): ";
    nlohmann::json meta = nlohmann::json::parse(task.metadata, nullptr, false);
    if (meta.is_discarded() || !meta.is_object()) {
      return absl::InvalidArgumentError(where + "metadata is not a JSON object");
    }
    std::string mode = task.answer.empty() ? "pairwise" : "grade";
    if (meta.contains("genrm_mode")) {
      if (!meta["genrm_mode"].is_string() ||
          (meta["genrm_mode"] != "grade" && meta["genrm_mode"] != "pairwise")) {
        return absl::InvalidArgumentError(where +
                                          "metadata.genrm_mode must be \"grade\" or \"pairwise\"");
      }
      mode = meta["genrm_mode"].get<std::string>();
    }
    std::string reference;
    if (mode == "grade") {
      if (task.answer.empty()) {
        return absl::InvalidArgumentError(where + "grade mode needs a reference answer (answer)");
      }
      reference = task.answer;
    } else {
      auto it = meta.find(options_.reference_field);
      if (it == meta.end() || !it->is_string() || it->get<std::string>().empty()) {
        return absl::InvalidArgumentError(
            where + "no reference answer and no reference response (metadata." +
            options_.reference_field + " must be a non-empty string)");
      }
      reference = it->get<std::string>();
    }
    std::string_view response = input.response;
    if (options_.strip_thinking) response = AfterLastThinkClose(response);
    const bool grade = mode == "grade";
    RL_ASSIGN_OR_RETURN(
        std::string prompt,
        FillTemplate(grade ? options_.grade_template : options_.pairwise_template,
                     {{"prompt", task.prompt},
                      {"reference", reference},
                      {"response", std::string(response)}},
                     grade ? "rewards.genrm.grade_template" : "rewards.genrm.pairwise_template"));
    auto out = judge_(prompt, input.deadline);
    if (!out.ok()) {
      return absl::Status(out.status().code(),
                          where + "judge failed: " + std::string(out.status().message()));
    }
    out->text = ValidUtf8(out->text);
    const std::string_view verdict_part = AfterLastThinkClose(out->text);
    StatusOr<int> score =
        grade ? ParseGradeVerdict(verdict_part) : ParsePairwiseVerdict(verdict_part);
    if (!score.ok()) {
      nlohmann::json raw = out->text;
      return absl::InvalidArgumentError(where + "unparsable verdict (" +
                                        std::string(score.status().message()) +
                                        "); raw verdict: " + raw.dump());
    }
    VerifyResult r;
    r.reward = grade ? GradeToReward(*score) : static_cast<float>(*score);
    r.details["genrm"] = {{"mode", mode},
                          {"score", *score},
                          {"verdict", out->text},
                          {"prompt_tokens", out->prompt_tokens},
                          {"verdict_tokens", out->verdict_tokens},
                          {"finish_reason", out->finish_reason}};
    return r;
  }

 private:
  const GenRMOptions options_;
  JudgeFn judge_;
};

// The in-process judge: one RolloutEngine (own thread, continuous batching) + tokenizer.
class EngineJudge {
 public:
  static StatusOr<std::shared_ptr<EngineJudge>> Create(const GenRMOptions& o) {
    const std::string where = "rewards.genrm.checkpoint " + o.checkpoint + ": ";
    if (o.checkpoint.empty())
      return absl::InvalidArgumentError("rewards.genrm.checkpoint is empty");
    auto tok = tokenizer::Tokenizer::Load(o.checkpoint + "/tokenizer.json");
    if (!tok.ok()) {
      return absl::Status(tok.status().code(), where + std::string(tok.status().message()));
    }
    auto backend = rollout::ModelBackend::FromCheckpoint(o.checkpoint, o.max_batch, o.threads);
    if (!backend.ok()) {
      return absl::Status(backend.status().code(), where + std::string(backend.status().message()));
    }
    auto j = std::make_shared<EngineJudge>();
    j->options_ = o;
    j->tokenizer_ = std::move(*tok);
    j->max_position_ = (*backend)->max_position();
    rollout::SchedulerOptions so;
    so.max_batch = o.max_batch;
    if (auto id = j->tokenizer_->TokenId(tasks::kImEnd)) so.eos_tokens.push_back(*id);
    if (o.chat_template) {
      // Split the chat template around a marker so the user text is encoded without special
      // tokens (a response cannot inject <|im_end|> into the judge's prompt).
      const std::string wrapped = tasks::ApplyChatTemplate("\x01");
      const size_t p = wrapped.find('\x01');
      j->prefix_ = j->tokenizer_->Encode(wrapped.substr(0, p), true);
      j->suffix_ = j->tokenizer_->Encode(wrapped.substr(p + 1), true);
    }
    j->engine_ = std::make_unique<rollout::RolloutEngine>(std::move(*backend), so);
    return j;
  }

  StatusOr<JudgeOutput> Generate(const std::string& prompt, Clock::time_point deadline) {
    rollout::GenerationRequest req;
    req.prompt = prefix_;
    const std::vector<int32_t> body = tokenizer_->Encode(prompt, /*parse_special=*/false);
    req.prompt.insert(req.prompt.end(), body.begin(), body.end());
    req.prompt.insert(req.prompt.end(), suffix_.begin(), suffix_.end());
    const auto n = static_cast<int64_t>(req.prompt.size());
    if (n + options_.max_verdict_tokens > max_position_) {
      return absl::InvalidArgumentError(
          "judge prompt of " + std::to_string(n) + " tokens + max_verdict_tokens " +
          std::to_string(options_.max_verdict_tokens) + " exceeds the judge's max_position " +
          std::to_string(max_position_));
    }
    const uint64_t k = counter_.fetch_add(1);
    req.request_id = "genrm-" + std::to_string(k);
    req.max_new_tokens = options_.max_verdict_tokens;
    req.sampling.temperature = options_.temperature;
    req.seed = options_.seed + k;
    auto done = std::make_shared<std::promise<rollout::GenerationResult>>();
    std::future<rollout::GenerationResult> fut = done->get_future();
    const uint64_t handle = engine_->Submit(
        std::move(req), [done](rollout::GenerationResult r) { done->set_value(std::move(r)); });
    if (deadline != Clock::time_point::max() &&
        fut.wait_until(deadline) != std::future_status::ready) {
      engine_->Cancel(handle);
      return absl::DeadlineExceededError("judge verdict not finished before the deadline");
    }
    rollout::GenerationResult r = fut.get();
    if (r.finish_reason == rollout::FinishReason::kAborted) {
      return absl::AbortedError("judge generation aborted: " + r.error);
    }
    JudgeOutput out;
    out.text = tokenizer_->Decode(r.tokens, /*skip_special=*/true);
    out.prompt_tokens = r.prompt_tokens;
    out.verdict_tokens = static_cast<int64_t>(r.tokens.size());
    out.finish_reason = std::string(rollout::FinishReasonName(r.finish_reason));
    return out;
  }

 private:
  GenRMOptions options_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::vector<int32_t> prefix_, suffix_;
  int64_t max_position_ = 0;
  std::atomic<uint64_t> counter_{0};
  std::unique_ptr<rollout::RolloutEngine> engine_;
};

}  // namespace

GenRMOptions OptionsFromConfig(const config::GenRMSection& s) {
  GenRMOptions o;
  o.checkpoint = s.checkpoint;
  o.grade_template = s.grade_template;
  o.pairwise_template = s.pairwise_template;
  o.reference_field = s.reference_field;
  o.max_verdict_tokens = s.max_verdict_tokens;
  o.temperature = s.temperature;
  o.seed = static_cast<uint64_t>(s.seed);
  o.max_batch = static_cast<int>(s.max_batch);
  o.threads = static_cast<int>(s.threads);
  o.chat_template = s.chat_template;
  o.strip_thinking = s.strip_thinking;
  return o;
}

StatusOr<JudgeFn> MakeEngineJudge(const GenRMOptions& options) {
  RL_ASSIGN_OR_RETURN(std::shared_ptr<EngineJudge> judge, EngineJudge::Create(options));
  return JudgeFn([judge](const std::string& prompt, Clock::time_point deadline) {
    return judge->Generate(prompt, deadline);
  });
}

StatusOr<std::shared_ptr<Verifier>> MakeGenRMVerifier(GenRMOptions options, JudgeFn judge) {
  if (options.grade_template.empty()) options.grade_template = kDefaultGradeTemplate;
  if (options.pairwise_template.empty()) options.pairwise_template = kDefaultPairwiseTemplate;
  RL_RETURN_IF_ERROR(CheckTemplate(options.grade_template, kPlaceholders, {"response"},
                                   "rewards.genrm.grade_template"));
  RL_RETURN_IF_ERROR(CheckTemplate(options.pairwise_template, kPlaceholders,
                                   {"response", "reference"}, "rewards.genrm.pairwise_template"));
  if (options.max_verdict_tokens < 1) {
    return absl::InvalidArgumentError("rewards.genrm.max_verdict_tokens must be >= 1");
  }
  if (options.reference_field.empty()) {
    return absl::InvalidArgumentError("rewards.genrm.reference_field is empty");
  }
  if (!judge) return absl::InvalidArgumentError("genrm: no judge backend");
  return std::shared_ptr<Verifier>(
      std::make_shared<GenRMVerifier>(std::move(options), std::move(judge)));
}

StatusOr<std::shared_ptr<Verifier>> MakeGenRMVerifier(GenRMOptions options) {
  RL_ASSIGN_OR_RETURN(JudgeFn judge, MakeEngineJudge(options));
  return MakeGenRMVerifier(std::move(options), std::move(judge));
}

}  // namespace rl::rewards::genrm
