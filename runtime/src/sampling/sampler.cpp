#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace sy {

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history,
                              float penalty, uint32_t window) {
  if (penalty == 1.0f || window == 0) return;
  size_t start = history.size() > window ? history.size() - window : 0;
  std::unordered_set<int32_t> seen;
  for (size_t i = start; i < history.size(); ++i) {
    int32_t id = history[i];
    if (id < 0 || static_cast<size_t>(id) >= logits.size() || !seen.insert(id).second) continue;
    float& logit = logits[id];
    logit = logit > 0 ? logit / penalty : logit * penalty;
  }
}

void keep_top_k(std::vector<TokenProbability>* candidates, int32_t k) {
  auto before = [](const TokenProbability& a, const TokenProbability& b) {
    return a.value > b.value || (a.value == b.value && a.id < b.id);
  };
  size_t keep = candidates->size();
  if (k > 0 && static_cast<size_t>(k) < keep) keep = static_cast<size_t>(k);
  std::partial_sort(candidates->begin(), candidates->begin() + keep, candidates->end(), before);
  candidates->resize(keep);
}

void softmax_in_place(std::vector<TokenProbability>* candidates) {
  if (candidates->empty()) return;
  float max_value = candidates->front().value;
  for (const auto& c : *candidates) max_value = std::max(max_value, c.value);
  double sum = 0;
  for (auto& c : *candidates) {
    c.value = std::exp(c.value - max_value);
    sum += c.value;
  }
  for (auto& c : *candidates) c.value = static_cast<float>(c.value / sum);
}

void keep_top_p(std::vector<TokenProbability>* candidates, float p) {
  if (p >= 1.0f || candidates->empty()) return;
  double cumulative = 0;
  size_t keep = 0;
  while (keep < candidates->size()) {
    cumulative += (*candidates)[keep].value;
    ++keep;
    if (cumulative >= p) break;
  }
  candidates->resize(keep);
  for (auto& c : *candidates) c.value = static_cast<float>(c.value / cumulative);
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  scratch_.assign(logits.begin(), logits.end());
  apply_repetition_penalty(scratch_, history, params_.repetition_penalty,
                           params_.repetition_window);
  if (params_.temperature <= 0) return argmax(scratch_);

  std::vector<TokenProbability> candidates(scratch_.size());
  for (size_t i = 0; i < scratch_.size(); ++i) {
    candidates[i] = {static_cast<int32_t>(i), scratch_[i] / params_.temperature};
  }
  keep_top_k(&candidates, params_.top_k);
  softmax_in_place(&candidates);
  keep_top_p(&candidates, params_.top_p);

  // Walk the cumulative distribution; the last candidate absorbs rounding.
  double target = rng_.uniform();
  double cumulative = 0;
  for (const auto& c : candidates) {
    cumulative += c.value;
    if (target < cumulative) return c.id;
  }
  return candidates.back().id;
}

}  // namespace sy
