#include <doctest/doctest.h>

#include "model/bundle.h"

namespace sy {

TEST_SUITE("loader") {

TEST_CASE("widest ffn ignores unused widths") {
  ModelConfig config;
  config.intermediate_size = 3'000'000'000u;
  config.expert_intermediate_size = 64;
  config.shared_expert_intermediate_size = 2'000'000'000u;
  config.num_shared_experts = 0;
  config.layer_ffn = {bundle::FfnKind::moe, bundle::FfnKind::moe};
  CHECK(config.widest_ffn() == 64);

  config.layer_ffn[1] = bundle::FfnKind::dense;
  CHECK(config.widest_ffn() == 3'000'000'000u);

  config.intermediate_size = 32;
  config.num_shared_experts = 1;
  CHECK(config.widest_ffn() == 2'000'000'000u);
}

}  // TEST_SUITE

}  // namespace sy
