#include "curricula/difficulty.h"

#include <cmath>
#include <limits>

namespace rl::curricula {

void DifficultyFilter::Record(const std::string& prompt_id, bool passed, int64_t step) {
  Stats& s = stats_[prompt_id];
  ++s.attempts;
  s.passes += passed ? 1 : 0;
  s.last_step = step;
  s.recent.push_back(passed ? '1' : '0');
  if (static_cast<int64_t>(s.recent.size()) > options_.window) s.recent.erase(s.recent.begin());
}

double DifficultyFilter::PassRate(const std::string& prompt_id) const {
  auto it = stats_.find(prompt_id);
  if (it == stats_.end() || it->second.recent.empty())
    return std::numeric_limits<double>::quiet_NaN();
  int64_t passes = 0;
  for (char c : it->second.recent) passes += c == '1' ? 1 : 0;
  return static_cast<double>(passes) / static_cast<double>(it->second.recent.size());
}

FilterReason DifficultyFilter::Classify(const std::string& prompt_id) const {
  if (!options_.enabled) return FilterReason::kKept;
  auto it = stats_.find(prompt_id);
  if (it == stats_.end() || static_cast<int64_t>(it->second.recent.size()) < options_.window) {
    return FilterReason::kKept;
  }
  double rate = PassRate(prompt_id);
  if (rate > options_.upper) return FilterReason::kTooEasy;
  if (options_.drop_unsolved && rate == 0.0) return FilterReason::kUnsolved;
  return FilterReason::kKept;
}

double DifficultyFilter::Weight(const std::string& prompt_id) const {
  if (Classify(prompt_id) == FilterReason::kKept) return 1.0;
  return options_.mode == "downweight" ? options_.downweight : 0.0;
}

std::vector<store::PromptStatsRow> DifficultyFilter::Export(int64_t run_id) const {
  std::vector<store::PromptStatsRow> rows;
  for (const auto& [id, s] : stats_) {
    rows.push_back({run_id, id, s.attempts, s.passes, s.recent, s.last_step});
  }
  return rows;
}

std::vector<store::PromptStatsRow> DifficultyFilter::Export(
    int64_t run_id, const std::vector<std::string>& prompt_ids) const {
  std::vector<store::PromptStatsRow> rows;
  for (const auto& id : prompt_ids) {
    auto it = stats_.find(id);
    if (it == stats_.end()) continue;
    const Stats& s = it->second;
    rows.push_back({run_id, id, s.attempts, s.passes, s.recent, s.last_step});
  }
  return rows;
}

void DifficultyFilter::Import(const std::vector<store::PromptStatsRow>& rows) {
  stats_.clear();
  for (const auto& r : rows) {
    Stats s;
    s.attempts = r.attempts;
    s.passes = r.passes;
    s.last_step = r.last_step;
    s.recent = r.recent;
    if (static_cast<int64_t>(s.recent.size()) > options_.window) {
      s.recent = s.recent.substr(s.recent.size() - static_cast<size_t>(options_.window));
    }
    stats_[r.prompt_id] = std::move(s);
  }
}

std::vector<int64_t> ZeroVarianceGroups(std::span<const double> rewards, int64_t group_size) {
  std::vector<int64_t> out;
  if (group_size <= 0) return out;
  for (size_t g = 0; g + static_cast<size_t>(group_size) <= rewards.size();
       g += static_cast<size_t>(group_size)) {
    bool equal = true;
    for (int64_t i = 1; i < group_size; ++i) equal = equal && rewards[g + i] == rewards[g];
    if (equal) out.push_back(static_cast<int64_t>(g) / group_size);
  }
  return out;
}

}  // namespace rl::curricula
