// Registry of the SPIR-V shaders compiled from shaders/*.comp and embedded in
// libswitchyard_shaders. Names follow op[_variant][_dtype].
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sy::shaders {

// Device features a shader variant needs beyond Vulkan 1.1 core compute.
enum Feature : uint32_t {
  kSubgroupArithmetic = 1u << 0,  // subgroupAdd/Max in compute shaders
  kStorage16Bit = 1u << 1,
  kStorage8Bit = 1u << 2,
  kShaderFloat16 = 1u << 3,
  kShaderInt64 = 1u << 4,
  // computeFullSubgroups (VK_EXT_subgroup_size_control): the pipeline is
  // created with full subgroups and a workgroup of one subgroup, so the
  // shader reduces without shared memory or barriers (ONE_SUBGROUP).
  kFullSubgroups = 1u << 5,
};

struct ShaderInfo {
  const char* name;
  const uint32_t* words;  // SPIR-V, valid for the program's lifetime
  size_t word_count;
  uint32_t features;  // Feature bits
};

std::span<const ShaderInfo> all_shaders();
// Returns the shader called `name`, or nullptr.
const ShaderInfo* find_shader(std::string_view name);

}  // namespace sy::shaders
