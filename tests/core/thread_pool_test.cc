#include "rl/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cfloat>
#include <vector>

namespace rl {
namespace {

TEST(ThreadPool, ParallelForVisitsEachIndexOnce) {
  ThreadPool pool(3);
  for (int n : {0, 1, 2, 7, 1000}) {
    std::vector<std::atomic<int>> hits(n);
    pool.ParallelFor(n, [&](int i) { hits[i].fetch_add(1); });
    for (int i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ThreadPool, WorkersFlushDenormalsToZero) {
  ThreadPool pool(1);
  std::promise<float> result;
  pool.Submit([&] {
    volatile float tiny = FLT_MIN;
    volatile float half = 0.5f;
    result.set_value(tiny * half);  // a denormal without FTZ
  });
  EXPECT_EQ(result.get_future().get(), 0.0f);
}

}  // namespace
}  // namespace rl
