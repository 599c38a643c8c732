// Helpers for finite-difference gradient checks in double (tests only).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace rl::learner::testing {

inline std::vector<double> RandomVector(size_t n, std::mt19937_64& rng, double scale = 1.0) {
  std::normal_distribution<double> d(0.0, scale);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Central differences of f with respect to x (each entry, step eps), compared entry by entry
// with the analytic gradient: |a − n| <= rel·max(|a|, |n|) + abs_floor. Returns the largest
// relative error seen (over entries whose magnitude exceeds abs_floor).
inline double CheckGradient(const std::string& what, std::vector<double>& x,
                            const std::vector<double>& analytic, const std::function<double()>& f,
                            double rel = 1e-6, double abs_floor = 1e-9, double eps = 1e-5,
                            size_t max_entries = 0) {
  EXPECT_EQ(x.size(), analytic.size()) << what;
  double worst = 0;
  size_t stride = 1;
  if (max_entries > 0 && x.size() > max_entries) stride = x.size() / max_entries;
  for (size_t i = 0; i < x.size(); i += stride) {
    const double saved = x[i];
    x[i] = saved + eps;
    const double fp = f();
    x[i] = saved - eps;
    const double fm = f();
    x[i] = saved;
    const double num = (fp - fm) / (2 * eps);
    const double a = analytic[i];
    const double scale = std::max(std::abs(a), std::abs(num));
    EXPECT_LE(std::abs(a - num), rel * scale + abs_floor)
        << what << "[" << i << "]: analytic " << a << " numeric " << num;
    if (scale > abs_floor) worst = std::max(worst, std::abs(a - num) / scale);
  }
  return worst;
}

}  // namespace rl::learner::testing
