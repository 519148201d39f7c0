#include <doctest/doctest.h>

#include <vector>

#include "sampling/sampler.h"

TEST_SUITE("sampling") {

TEST_CASE("greedy ties go to lower id") {
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};
  CHECK(sy::argmax(logits) == 1);

  sy::SamplingParams params;
  params.temperature = 0;
  params.repetition_penalty = 1;
  sy::Sampler sampler(params);
  CHECK(sampler.sample(logits, {}) == 1);
}

TEST_CASE("repetition penalty arithmetic") {
  std::vector<float> logits = {2.0f, -2.0f, 1.0f, 4.0f};
  std::vector<int32_t> history = {3, 0, 1, 0, 0};
  // Window 4 sees tokens 0, 1, 0, 0: each distinct token is penalized once.
  sy::apply_repetition_penalty(logits, history, 2.0f, 4);
  CHECK(logits[0] == doctest::Approx(1.0f));
  CHECK(logits[1] == doctest::Approx(-4.0f));
  CHECK(logits[2] == doctest::Approx(1.0f));
  CHECK(logits[3] == doctest::Approx(4.0f));
}

TEST_CASE("top-k mask") {
  std::vector<sy::TokenProbability> candidates = {{0, 1.0f}, {1, 3.0f}, {2, 3.0f}, {3, 2.0f}};
  sy::keep_top_k(&candidates, 3);
  REQUIRE(candidates.size() == 3);
  CHECK(candidates[0].id == 1);
  CHECK(candidates[1].id == 2);
  CHECK(candidates[2].id == 3);
}

TEST_CASE("top-p mask") {
  std::vector<sy::TokenProbability> candidates = {{4, 0.5f}, {2, 0.3f}, {7, 0.15f}, {1, 0.05f}};
  sy::keep_top_p(&candidates, 0.8f);
  REQUIRE(candidates.size() == 2);
  CHECK(candidates[0].id == 4);
  CHECK(candidates[0].value == doctest::Approx(0.625f));
  CHECK(candidates[1].value == doctest::Approx(0.375f));

  std::vector<sy::TokenProbability> single = {{9, 0.9f}, {3, 0.1f}};
  sy::keep_top_p(&single, 0.5f);
  CHECK(single.size() == 1);
}

TEST_CASE("softmax of candidates") {
  std::vector<sy::TokenProbability> candidates = {{0, 1.0f}, {1, 0.0f}};
  sy::softmax_in_place(&candidates);
  CHECK(candidates[0].value == doctest::Approx(0.7310586f));
  CHECK(candidates[1].value == doctest::Approx(0.2689414f));
}

namespace {

std::vector<int32_t> draw(uint64_t seed, int count) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 7) * 0.3f;
  sy::SamplingParams params;
  params.temperature = 1.0f;
  params.top_k = 0;
  params.top_p = 1.0f;
  params.repetition_penalty = 1.0f;
  params.seed = seed;
  sy::Sampler sampler(params);
  std::vector<int32_t> tokens;
  for (int i = 0; i < count; ++i) tokens.push_back(sampler.sample(logits, tokens));
  return tokens;
}

}  // namespace

TEST_CASE("same seed same tokens") {
  CHECK(draw(42, 32) == draw(42, 32));
}

TEST_CASE("different seed different tokens") {
  CHECK(draw(42, 32) != draw(43, 32));
}

TEST_CASE("rng uniform below one") {
  sy::Rng rng(7);
  for (int i = 0; i < 1000; ++i) {
    CAPTURE(i);
    double u = rng.uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
  }
}

TEST_CASE("top-k 1 is greedy") {
  std::vector<float> logits = {0.1f, 0.2f, 5.0f, 0.3f};
  sy::SamplingParams params;
  params.temperature = 1.0f;
  params.top_k = 1;
  params.repetition_penalty = 1.0f;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    CAPTURE(seed);
    params.seed = seed;
    sy::Sampler sampler(params);
    CHECK(sampler.sample(logits, {}) == 2);
  }
}

}  // TEST_SUITE
