// Difficulty filtering: per-prompt pass-rate tracking over the last k attempts, and the
// policy that drops or down-weights prompts that are too easy (pass rate above `upper`) or
// unsolved (exactly 0 over k attempts). A prompt with fewer than k attempts is always kept.
// The history round-trips through the run store's prompt_stats table (Export / Import), so
// a resumed run filters exactly as before. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "rl/store/run_store.h"

namespace rl::curricula {

struct DifficultyOptions {
  bool enabled = false;
  int64_t window = 8;  // k: attempts considered
  double upper = 0.9;  // drop/down-weight when the pass rate over k is > upper
  bool drop_unsolved = true;
  std::string mode = "drop";  // "drop" or "downweight"
  double downweight = 0.1;    // weight of a filtered prompt in "downweight" mode
};

enum class FilterReason { kKept, kTooEasy, kUnsolved };

class DifficultyFilter {
 public:
  explicit DifficultyFilter(DifficultyOptions options) : options_(std::move(options)) {}

  // Records the outcome of one sampled response of prompt_id.
  void Record(const std::string& prompt_id, bool passed, int64_t step);
  FilterReason Classify(const std::string& prompt_id) const;
  // Sampling weight of a prompt: 1 when kept, 0 (drop) or `downweight` when filtered.
  double Weight(const std::string& prompt_id) const;
  // Pass rate over the recorded window (NaN without attempts).
  double PassRate(const std::string& prompt_id) const;

  std::vector<store::PromptStatsRow> Export(int64_t run_id) const;
  // The rows of the given prompts only (unknown ids are skipped).
  std::vector<store::PromptStatsRow> Export(int64_t run_id,
                                            const std::vector<std::string>& prompt_ids) const;
  const DifficultyOptions& options() const { return options_; }
  void Import(const std::vector<store::PromptStatsRow>& rows);

 private:
  struct Stats {
    int64_t attempts = 0, passes = 0, last_step = 0;
    std::string recent;  // last `window` outcomes, oldest first
  };
  DifficultyOptions options_;
  std::map<std::string, Stats> stats_;
};

// Groups (consecutive, of size group_size) whose rewards are all equal: the groups dynamic
// sampling drops and refills. Returns their indices.
std::vector<int64_t> ZeroVarianceGroups(std::span<const double> rewards, int64_t group_size);

}  // namespace rl::curricula
