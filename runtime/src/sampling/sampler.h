// Sampler: picks the next token from a row of logits. The steps, in order:
// repetition penalty over the recent tokens, then greedy argmax when the
// temperature is 0, else temperature, top-k, softmax, top-p and a seeded draw.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sampling/rng.h"

namespace sy {

struct SamplingParams {
  float temperature = 0.8f;  // <= 0 means greedy
  int32_t top_k = 40;        // <= 0 disables
  float top_p = 0.95f;       // >= 1 disables
  float repetition_penalty = 1.1f;  // 1 disables
  uint32_t repetition_window = 64;  // recent tokens the penalty looks at
  uint64_t seed = 0;
};

struct TokenProbability {
  int32_t id;
  float value;  // a logit or a probability, depending on the step
};

// Index of the largest value; ties go to the lower index.
int32_t argmax(std::span<const float> logits);

// Divides positive logits and multiplies negative ones by `penalty`, once per
// distinct token among the last `window` tokens of `history`.
void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history,
                              float penalty, uint32_t window);

// Sorts by descending value, ties to the lower id, and keeps the first k (k <= 0 keeps all).
void keep_top_k(std::vector<TokenProbability>* candidates, int32_t k);

// Replaces logits by softmax probabilities (candidates sorted, descending).
void softmax_in_place(std::vector<TokenProbability>* candidates);

// Keeps the shortest prefix of sorted probabilities whose sum reaches p (at
// least one token), then renormalizes to sum 1.
void keep_top_p(std::vector<TokenProbability>* candidates, float p);

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

  // Returns the next token for `logits` [vocab]; `history` is the sequence so far.
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

 private:
  SamplingParams params_;
  Rng rng_;
  std::vector<float> scratch_;
};

}  // namespace sy
