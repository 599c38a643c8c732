// The GenRM length-bias monitor (MiniMax-M1 §3.3). Generative reward models prefer long
// answers; the monitor watches for the signature of that bias: over a sliding window of
// steps, response length AND GenRM reward rise together while a held-out rule-verified
// accuracy does not. Per step it reports the Pearson correlation and regression slope
// between length and GenRM reward; over the window it fits least-squares trends (per step)
// of mean length (relative to its mean), mean GenRM reward and held-out accuracy.
//
// Alert rule (all must hold, with at least `window` steps and 2 held-out points in it):
//   length trend   > min_length_trend   (relative growth per step)
//   reward trend   > min_reward_trend   (absolute growth per step)
//   held-out trend ≤ max_heldout_trend  (accuracy per step)
// After an alert the monitor is quiet for `window` steps. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rl/core/status.h"

namespace rl::curricula {

struct LengthBiasOptions {
  bool enabled = true;
  int64_t window = 20;
  double min_length_trend = 0.005;
  double min_reward_trend = 0.002;
  double max_heldout_trend = 0.0;
  std::string action = "log";  // log | pause | shape
  double shaping_coef = 0.1;   // shape: reward −= coef · (len − mean_len) / std_len
};

struct LengthRewardStats {
  double correlation = 0;  // Pearson r of (length, reward); 0 when either is constant
  double slope = 0;        // least-squares reward per token of length
};

LengthRewardStats ComputeLengthRewardStats(std::span<const double> lengths,
                                           std::span<const double> rewards);

// Least-squares slope of y over x (0 when x is constant or there are < 2 points).
double TrendSlope(std::span<const double> x, std::span<const double> y);

// Length-normalised reward shaping: r_i − coef · z(len_i), z the within-batch z-score.
std::vector<double> ShapeRewardsByLength(std::span<const double> rewards,
                                         std::span<const double> lengths, double coef);

struct LengthBiasAlert {
  int64_t step = 0;
  std::string message;
  std::string evidence_json;
};

class LengthBiasMonitor {
 public:
  explicit LengthBiasMonitor(LengthBiasOptions options) : options_(std::move(options)) {}

  // One step's GenRM-scored samples. Returns the step statistics.
  LengthRewardStats ObserveStep(int64_t step, std::span<const double> lengths,
                                std::span<const double> genrm_rewards);
  // A held-out accuracy measured at step.
  void ObserveHeldOut(int64_t step, double accuracy);
  // Evaluates the rule after the step's observations.
  std::optional<LengthBiasAlert> Check(int64_t step);

  // The window, held-out points and quiet period as JSON (checkpoints), and back.
  std::string SaveState() const;
  Status LoadState(const std::string& json);

 private:
  struct Point {
    int64_t step;
    double mean_length, mean_reward;
  };
  LengthBiasOptions options_;
  std::deque<Point> points_;
  std::deque<std::pair<int64_t, double>> heldout_;
  int64_t quiet_until_ = -1;
};

}  // namespace rl::curricula
