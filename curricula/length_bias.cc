#include "curricula/length_bias.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace rl::curricula {

double TrendSlope(std::span<const double> x, std::span<const double> y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxx > 0 ? sxy / sxx : 0;
}

LengthRewardStats ComputeLengthRewardStats(std::span<const double> len,
                                           std::span<const double> rew) {
  LengthRewardStats s;
  const size_t n = std::min(len.size(), rew.size());
  if (n < 2) return s;
  double ml = 0, mr = 0;
  for (size_t i = 0; i < n; ++i) {
    ml += len[i];
    mr += rew[i];
  }
  ml /= static_cast<double>(n);
  mr /= static_cast<double>(n);
  double slr = 0, sll = 0, srr = 0;
  for (size_t i = 0; i < n; ++i) {
    slr += (len[i] - ml) * (rew[i] - mr);
    sll += (len[i] - ml) * (len[i] - ml);
    srr += (rew[i] - mr) * (rew[i] - mr);
  }
  s.slope = sll > 0 ? slr / sll : 0;
  s.correlation = sll > 0 && srr > 0 ? slr / std::sqrt(sll * srr) : 0;
  return s;
}

std::vector<double> ShapeRewardsByLength(std::span<const double> rewards,
                                         std::span<const double> lengths, double coef) {
  std::vector<double> out(rewards.begin(), rewards.end());
  const size_t n = std::min(rewards.size(), lengths.size());
  if (n < 2) return out;
  double m = 0, ss = 0;
  for (size_t i = 0; i < n; ++i) m += lengths[i];
  m /= static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) ss += (lengths[i] - m) * (lengths[i] - m);
  double sd = std::sqrt(ss / static_cast<double>(n));
  if (sd == 0) return out;
  for (size_t i = 0; i < n; ++i) out[i] -= coef * (lengths[i] - m) / sd;
  return out;
}

LengthRewardStats LengthBiasMonitor::ObserveStep(int64_t step, std::span<const double> lengths,
                                                 std::span<const double> rewards) {
  LengthRewardStats s = ComputeLengthRewardStats(lengths, rewards);
  if (lengths.empty() || rewards.empty()) return s;
  double ml = 0, mr = 0;
  for (double v : lengths) ml += v;
  for (double v : rewards) mr += v;
  points_.push_back(
      {step, ml / static_cast<double>(lengths.size()), mr / static_cast<double>(rewards.size())});
  while (static_cast<int64_t>(points_.size()) > options_.window) points_.pop_front();
  return s;
}

void LengthBiasMonitor::ObserveHeldOut(int64_t step, double accuracy) {
  heldout_.push_back({step, accuracy});
}

std::optional<LengthBiasAlert> LengthBiasMonitor::Check(int64_t step) {
  if (!options_.enabled || step < quiet_until_) return std::nullopt;
  if (static_cast<int64_t>(points_.size()) < options_.window) return std::nullopt;
  const int64_t first_step = points_.front().step;
  while (!heldout_.empty() && heldout_.front().first < first_step) heldout_.pop_front();
  if (heldout_.size() < 2) return std::nullopt;

  std::vector<double> steps, lengths, rewards, hsteps, haccs;
  double mean_len = 0;
  for (const auto& p : points_) {
    steps.push_back(static_cast<double>(p.step));
    lengths.push_back(p.mean_length);
    rewards.push_back(p.mean_reward);
    mean_len += p.mean_length;
  }
  mean_len /= static_cast<double>(points_.size());
  for (const auto& [s, a] : heldout_) {
    hsteps.push_back(static_cast<double>(s));
    haccs.push_back(a);
  }
  double length_trend = mean_len > 0 ? TrendSlope(steps, lengths) / mean_len : 0;
  double reward_trend = TrendSlope(steps, rewards);
  double heldout_trend = TrendSlope(hsteps, haccs);
  if (length_trend > options_.min_length_trend && reward_trend > options_.min_reward_trend &&
      heldout_trend <= options_.max_heldout_trend) {
    nlohmann::json ev = {{"steps", steps},
                         {"mean_length", lengths},
                         {"mean_genrm_reward", rewards},
                         {"heldout_steps", hsteps},
                         {"heldout_accuracy", haccs},
                         {"length_trend", length_trend},
                         {"reward_trend", reward_trend},
                         {"heldout_trend", heldout_trend}};
    quiet_until_ = step + options_.window;
    char msg[256];
    std::snprintf(msg, sizeof(msg),
                  "length +%.2f%%/step and GenRM reward %+.4f/step rise while held-out accuracy "
                  "moves %+.4f/step: likely GenRM length bias",
                  100 * length_trend, reward_trend, heldout_trend);
    return LengthBiasAlert{step, msg, ev.dump()};
  }
  return std::nullopt;
}

std::string LengthBiasMonitor::SaveState() const {
  nlohmann::json pts = nlohmann::json::array(), held = nlohmann::json::array();
  for (const auto& p : points_) pts.push_back({p.step, p.mean_length, p.mean_reward});
  for (const auto& [s, a] : heldout_) held.push_back({s, a});
  return nlohmann::json{{"points", pts}, {"heldout", held}, {"quiet_until", quiet_until_}}.dump();
}

Status LengthBiasMonitor::LoadState(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("length-bias monitor state is not a JSON object");
  }
  try {
    std::deque<Point> pts;
    std::deque<std::pair<int64_t, double>> held;
    for (const auto& p : j.at("points")) {
      pts.push_back({p.at(0).get<int64_t>(), p.at(1).get<double>(), p.at(2).get<double>()});
    }
    for (const auto& h : j.at("heldout"))
      held.push_back({h.at(0).get<int64_t>(), h.at(1).get<double>()});
    points_ = std::move(pts);
    heldout_ = std::move(held);
    quiet_until_ = j.at("quiet_until").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(std::string("length-bias monitor state: ") + e.what());
  }
  return absl::OkStatus();
}

}  // namespace rl::curricula
