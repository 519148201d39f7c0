#include "tokenizer/bpe_merge.h"

#include <queue>

namespace sy {

void MergeTable::add(int32_t left, int32_t right, MergeRule rule) {
  // The first rule for a pair (the highest priority) wins.
  rules_.emplace(key(left, right), rule);
}

const MergeRule* MergeTable::find(int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return nullptr;
  auto it = rules_.find(key(left, right));
  return it == rules_.end() ? nullptr : &it->second;
}

namespace {

struct Candidate {
  uint32_t rank;
  size_t left;  // index of the left symbol; smaller is further left
  int32_t left_id;
  int32_t right_id;

  bool operator>(const Candidate& other) const {
    if (rank != other.rank) return rank > other.rank;
    return left > other.left;
  }
};

using CandidateQueue = std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>>;

constexpr size_t kNone = static_cast<size_t>(-1);

}  // namespace

std::vector<size_t> bpe_merge(const MergeTable& table, std::vector<int32_t>* symbols) {
  std::vector<int32_t>& ids = *symbols;
  size_t n = ids.size();
  std::vector<size_t> next(n), prev(n);
  std::vector<bool> alive(n, true);
  for (size_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : kNone;
    prev[i] = i > 0 ? i - 1 : kNone;
  }

  CandidateQueue queue;
  auto offer = [&](size_t left) {
    if (left == kNone || next[left] == kNone) return;
    const MergeRule* rule = table.find(ids[left], ids[next[left]]);
    if (rule != nullptr) queue.push({rule->rank, left, ids[left], ids[next[left]]});
  };
  for (size_t i = 0; i + 1 < n; ++i) offer(i);

  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    size_t right = next[top.left];
    // Skip candidates whose symbols changed since they were queued.
    if (!alive[top.left] || right == kNone || ids[top.left] != top.left_id ||
        ids[right] != top.right_id) {
      continue;
    }

    ids[top.left] = table.find(top.left_id, top.right_id)->merged;
    alive[right] = false;
    next[top.left] = next[right];
    if (next[right] != kNone) prev[next[right]] = top.left;
    offer(prev[top.left]);
    offer(top.left);
  }

  std::vector<size_t> survivors;
  for (size_t i = 0; i < n; ++i) {
    if (alive[i]) survivors.push_back(i);
  }
  return survivors;
}

}  // namespace sy
