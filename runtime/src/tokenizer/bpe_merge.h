// BPE merging over a sequence of symbols: repeatedly merges the adjacent pair
// with the lowest rank, the leftmost pair first among equal ranks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace sy {

struct MergeRule {
  uint32_t rank = 0;   // lower merges first
  int32_t merged = -1;  // token id of the merged symbol
};

// Merge rules keyed by (left id, right id).
class MergeTable {
 public:
  void add(int32_t left, int32_t right, MergeRule rule);
  const MergeRule* find(int32_t left, int32_t right) const;
  size_t size() const { return rules_.size(); }

 private:
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  std::unordered_map<uint64_t, MergeRule> rules_;
};

// Merges `symbols` (token ids, -1 for a symbol without a token, which never
// merges) in place and returns the surviving symbols' indices into the input,
// so callers can find the bytes of unmerged symbols.
std::vector<size_t> bpe_merge(const MergeTable& table, std::vector<int32_t>* symbols);

}  // namespace sy
