// Helpers shared by the kernel tests: seeded random buffers and the normwise relative error.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace rl::kernels::testing {

inline std::vector<float> RandomNormal(int64_t n, uint64_t seed, float stddev = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = dist(rng);
  return x;
}

// ‖a − b‖ / ‖b‖ with the sums in double.
template <typename A, typename B>
double RelErr(const std::vector<A>& a, const std::vector<B>& b) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    num += d * d;
    den += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-300);
}

}  // namespace rl::kernels::testing
