// The decode loop allocates nothing: a batched DecodeStep over sequences at different
// positions performs no C++ heap allocation once states and workspace exist (the counter
// below replaces the global operator new of this test binary).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "rl/model/forward.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting.load()) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace rl::model {
namespace {

TEST(DecodeStep, DoesNotAllocate) {
  ModelConfig c;
  c.layer_types = {LayerType::kLightning, LayerType::kSoftmax, LayerType::kLightning,
                   LayerType::kLightning};
  auto model = Model::Create(c, InitParams(c, 3), 2);
  ASSERT_TRUE(model.ok()) << model.status();
  const int64_t B = 3;
  std::vector<DecodeState> states;
  std::vector<DecodeState*> ptrs;
  for (int64_t i = 0; i < B; ++i) states.emplace_back(c, 64);
  for (auto& s : states) ptrs.push_back(&s);
  Workspace ws(c, B);
  std::vector<float> logits(B * c.vocab_size);
  // Different positions: prefill 0, 5 and 11 tokens.
  std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  ASSERT_TRUE(Prefill(**model, std::span(prompt).first(5), ptrs[1], {}).ok());
  ASSERT_TRUE(Prefill(**model, prompt, ptrs[2], {}).ok());
  std::vector<int32_t> tokens = {7, 8, 9};
  ASSERT_TRUE(DecodeStep(**model, ptrs, tokens, &ws, logits).ok());  // warm-up
  g_allocations = 0;
  g_counting = true;
  for (int step = 0; step < 5; ++step) {
    ASSERT_TRUE(DecodeStep(**model, ptrs, tokens, &ws, logits).ok());
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_EQ(states[2].position(), 17);
}

}  // namespace
}  // namespace rl::model
