// Rng: seeded 64-bit Mersenne Twister with its own conversion to [0, 1), so a
// seed gives the same numbers with every C++ standard library.
#pragma once

#include <cstdint>
#include <random>

namespace sy {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform double in [0, 1) from the top 53 bits of one engine output.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace sy
