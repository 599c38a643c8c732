#include "rl/io/safetensors.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "tests/io/test_util.h"

namespace rl::io {
namespace {

using testing::RawSafetensors;
using testing::TempDir;
using testing::WriteBytes;

uint32_t Bits(float f) { return std::bit_cast<uint32_t>(f); }

std::vector<float> SpecialAndRandom(size_t n, uint32_t seed) {
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.5f, INFINITY, -INFINITY,
                          std::numeric_limits<float>::denorm_min(), 3.0e38f, 1e-40f,
                          std::numeric_limits<float>::quiet_NaN()};
  std::mt19937 rng(seed);
  while (v.size() < n) v.push_back(std::bit_cast<float>(static_cast<uint32_t>(rng())));
  v.resize(n);
  return v;
}

// Reference BF16 rounding: of the two bf16 neighbours, the nearer in exact (double)
// arithmetic, ties to the even mantissa.
uint16_t ReferenceBf16(float f) {
  if (std::isnan(f)) return 0;  // not compared
  uint32_t b = Bits(f);
  uint16_t lo = static_cast<uint16_t>(b >> 16);
  uint16_t hi = static_cast<uint16_t>(lo + 1);
  if ((b & 0xffff) == 0) return lo;
  double dl = std::fabs(static_cast<double>(Bf16ToFloat(lo)) - f);
  // Past the largest finite bf16 the next value is 2^128 in exact terms (rounds to inf).
  double dh = std::isinf(Bf16ToFloat(hi)) ? std::ldexp(1.0, 128) - std::fabs(static_cast<double>(f))
                                          : std::fabs(static_cast<double>(Bf16ToFloat(hi)) - f);
  if (dl < dh) return lo;
  if (dh < dl) return hi;
  return (lo & 1) ? hi : lo;
}

TEST(Bf16, MatchesNearestEvenReference) {
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    float f = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Bf16ToFloat(FloatToBf16(f))));
      continue;
    }
    ASSERT_EQ(FloatToBf16(f), ReferenceBf16(f)) << "f bits " << std::hex << Bits(f);
  }
  // Hand-computed ties: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 → even (1.0).
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(1.0f + std::ldexp(1.0f, -8))), 1.0f);
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(1.0f + 3 * std::ldexp(1.0f, -8))), 1.0f + std::ldexp(1.0f, -6));
}

TEST(F16, HandComputedValues) {
  EXPECT_EQ(F16ToFloat(0x3c00), 1.0f);
  EXPECT_EQ(F16ToFloat(0xc000), -2.0f);
  EXPECT_EQ(F16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(F16ToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(F16ToFloat(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::isinf(F16ToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(F16ToFloat(0x7e00)));
}

TEST(Safetensors, F32SaveLoadIsBitIdentical) {
  std::string dir = TempDir();
  auto a = SpecialAndRandom(6 * 7, 1);
  auto b = SpecialAndRandom(5, 2);
  std::vector<float> empty;
  std::vector<TensorToWrite> ts = {{"a.weight", {6, 7}, a}, {"b", {5}, b}, {"empty", {0, 3}, empty}};
  ASSERT_TRUE(WriteSafetensors(dir + "/x.safetensors", ts, DType::kF32, {{"format", "pt"}}).ok());
  auto r = SafetensorsReader::Open(dir + "/x.safetensors");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)->entries().size(), 3u);
  EXPECT_EQ((*r)->metadata().at("format"), "pt");
  auto got = (*r)->ReadFloat("a.weight");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(Bits((*got)[i]), Bits(a[i])) << i;
  EXPECT_EQ((*r)->Find("a.weight")->shape, (std::vector<int64_t>{6, 7}));
  EXPECT_EQ((*r)->Find("empty")->numel(), 0);
  EXPECT_EQ((*r)->ReadFloat("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(Safetensors, Bf16SaveRoundsAndReSaveIsBitIdentical) {
  std::string dir = TempDir();
  auto a = SpecialAndRandom(1000, 3);
  std::vector<TensorToWrite> ts = {{"w", {10, 100}, a}};
  ASSERT_TRUE(WriteSafetensors(dir + "/1.safetensors", ts, DType::kBF16).ok());
  auto r1 = SafetensorsReader::Open(dir + "/1.safetensors");
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ((*r1)->Find("w")->dtype, DType::kBF16);
  auto got = (*r1)->ReadFloat("w");
  ASSERT_TRUE(got.ok());
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan((*got)[i]));
    } else {
      EXPECT_EQ(Bits((*got)[i]), static_cast<uint32_t>(ReferenceBf16(a[i])) << 16) << i;
    }
  }
  std::vector<TensorToWrite> ts2 = {{"w", {10, 100}, *got}};
  ASSERT_TRUE(WriteSafetensors(dir + "/2.safetensors", ts2, DType::kBF16).ok());
  auto r2 = SafetensorsReader::Open(dir + "/2.safetensors");
  ASSERT_TRUE(r2.ok());
  auto b1 = (*r1)->RawBytes(*(*r1)->Find("w"));
  auto b2 = (*r2)->RawBytes(*(*r2)->Find("w"));
  ASSERT_EQ(b1.size(), 2000u);
  EXPECT_EQ(std::memcmp(b1.data(), b2.data(), b1.size()), 0);
}

TEST(Safetensors, ReadsHandWrittenFileWithAllFloatDtypes) {
  std::string dir = TempDir();
  // F32 [2] = {1, -2}; BF16 [1] = 0x3fc0 (1.5); F16 [1] = 0x3800 (0.5); F64 [1] = 0.25.
  std::string data;
  auto put32 = [&](float f) { uint32_t b = Bits(f); for (int i = 0; i < 4; ++i) data += char(b >> (8 * i)); };
  put32(1.0f);
  put32(-2.0f);
  data += std::string("\xc0\x3f", 2);
  data += std::string("\x00\x38", 2);
  uint64_t d = std::bit_cast<uint64_t>(0.25);
  for (int i = 0; i < 8; ++i) data += char(d >> (8 * i));
  std::string header =
      R"({"f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BF16","shape":[1,1],"data_offsets":[8,10]},)"
      R"("h":{"dtype":"F16","shape":[],"data_offsets":[10,12]},)"
      R"("d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]},"__metadata__":{"k":"v"}})";
  WriteBytes(dir + "/h.safetensors", RawSafetensors(header, data));
  auto r = SafetensorsReader::Open(dir + "/h.safetensors");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*(*r)->ReadFloat("f"), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(*(*r)->ReadFloat("b"), (std::vector<float>{1.5f}));
  EXPECT_EQ(*(*r)->ReadFloat("h"), (std::vector<float>{0.5f}));
  EXPECT_EQ(*(*r)->ReadFloat("d"), (std::vector<float>{0.25f}));
  EXPECT_EQ((*r)->metadata().at("k"), "v");
}

TEST(Safetensors, WriteRejectsBadInput) {
  std::string dir = TempDir();
  std::vector<float> v(5);
  std::vector<TensorToWrite> wrong = {{"w", {2, 3}, v}};
  auto st = WriteSafetensors(dir + "/a.safetensors", wrong, DType::kF32);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'w'"), std::string::npos) << st;
  std::vector<TensorToWrite> dup = {{"w", {5}, v}, {"w", {5}, v}};
  EXPECT_FALSE(WriteSafetensors(dir + "/b.safetensors", dup, DType::kF32).ok());
  std::vector<TensorToWrite> ok = {{"w", {5}, v}};
  EXPECT_FALSE(WriteSafetensors(dir + "/c.safetensors", ok, DType::kF16).ok());
}

}  // namespace
}  // namespace rl::io
