#include "vulkan/device_profile.h"

#include <algorithm>
#include <cstdlib>

#include "core/log.h"
#include "shader_registry.h"

namespace sy::vulkan {
namespace {

// The mobile profile's limits.
constexpr uint64_t kMobileMaxStorageBufferRange = 128ull << 20;  // bytes
constexpr uint32_t kMobileMaxSharedMemory = 16u << 10;           // bytes per workgroup
constexpr uint32_t kMobileMaxWorkgroupInvocations = 128;
// The Vulkan minimum of maxTexelBufferElements: too few texels for a weight
// buffer, so the mobile profile reads weights from storage buffers.
constexpr uint64_t kMobileMaxTexelBufferElements = 65536;

constexpr uint32_t kVendorQualcomm = 0x5143;

// Known driver problems, one entry per device and driver version range.
const DriverQuirkEntry kDriverQuirks[] = {
    // Qualcomm's Adreno 750 driver crashed while compiling a matrix-vector
    // kernel that reduces with subgroupAdd and no shared memory, the kind of
    // kernel that the subgroup variants here are (llama.cpp pull request
    // 29165, 2026).
    // NOTE: not reproduced here. The device id and the affected driver
    // versions are unverified, so every driver version of that id gets the
    // _shmem kernels.
    {kVendorQualcomm, 0x43051401, 0, UINT32_MAX, kQuirkNoSubgroupArithmetic,
     "Adreno 750: subgroup-reduction kernels can crash the shader compiler"},
};

DeviceIdentity query_identity(VkPhysicalDevice physical) {
  VkPhysicalDeviceProperties properties;
  vkGetPhysicalDeviceProperties(physical, &properties);
  return {properties.vendorID, properties.deviceID, properties.driverVersion};
}

}  // namespace

Status resolve_device_profile(const std::string& requested, DeviceProfile* out) {
  std::string name = requested;
  const char* source = "device_profile";
  if (name.empty()) {
    const char* variable = std::getenv(kDeviceProfileVariable);
    name = variable != nullptr ? variable : "";
    source = kDeviceProfileVariable;
  }
  if (name.empty() || name == "native") {
    *out = DeviceProfile::kNative;
  } else if (name == "mobile") {
    *out = DeviceProfile::kMobile;
  } else {
    return make_error(SY_ERROR_INVALID_ARGUMENT,
                      "%s is \"%s\"; the device profiles are \"native\" and \"mobile\"", source,
                      name.c_str());
  }
  return Status();
}

const char* device_profile_name(DeviceProfile profile) {
  return profile == DeviceProfile::kMobile ? "mobile" : "native";
}

void apply_device_profile(DeviceProfile profile, DeviceCaps* caps) {
  if (profile != DeviceProfile::kMobile) return;
  caps->max_storage_buffer_range =
      std::min(caps->max_storage_buffer_range, kMobileMaxStorageBufferRange);
  caps->max_texel_buffer_elements =
      std::min(caps->max_texel_buffer_elements, kMobileMaxTexelBufferElements);
  caps->max_shared_memory = std::min(caps->max_shared_memory, kMobileMaxSharedMemory);
  caps->max_workgroup_invocations =
      std::min(caps->max_workgroup_invocations, kMobileMaxWorkgroupInvocations);
  for (uint32_t& size : caps->max_workgroup_size) {
    size = std::min(size, kMobileMaxWorkgroupInvocations);
  }
  caps->subgroup_arithmetic = false;
  caps->subgroup_size = 1;
  caps->full_subgroups = false;
  caps->shader_float16 = false;
  caps->storage_8bit = false;
}

std::span<const DriverQuirkEntry> driver_quirk_table() { return kDriverQuirks; }

uint32_t find_driver_quirks(std::span<const DriverQuirkEntry> table,
                            const DeviceIdentity& identity) {
  uint32_t quirks = 0;
  for (const DriverQuirkEntry& entry : table) {
    const bool device_matches = entry.device_id == 0 || entry.device_id == identity.device_id;
    if (entry.vendor_id == identity.vendor_id && device_matches &&
        identity.driver_version >= entry.min_driver_version &&
        identity.driver_version <= entry.max_driver_version) {
      quirks |= entry.quirks;
    }
  }
  return quirks;
}

void apply_driver_quirks(uint32_t quirks, DeviceCaps* caps) {
  if (quirks & kQuirkNoSubgroupArithmetic) caps->subgroup_arithmetic = false;
}

bool caps_support(const DeviceCaps& caps, uint32_t features) {
  const bool missing = ((features & shaders::kSubgroupArithmetic) && !caps.subgroup_arithmetic) ||
                       ((features & shaders::kStorage16Bit) && !caps.storage_16bit) ||
                       ((features & shaders::kStorage8Bit) && !caps.storage_8bit) ||
                       ((features & shaders::kShaderFloat16) && !caps.shader_float16) ||
                       ((features & shaders::kShaderInt64) && !caps.shader_int64) ||
                       ((features & shaders::kFullSubgroups) && !caps.full_subgroups);
  return !missing;
}

Status restrict_device_caps(const std::string& requested_profile,
                            const std::optional<DeviceIdentity>& fake_identity, Device* device) {
  DeviceProfile profile = DeviceProfile::kNative;
  SY_RETURN_IF_ERROR(resolve_device_profile(requested_profile, &profile));
  const DeviceIdentity identity =
      fake_identity.has_value() ? *fake_identity : query_identity(device->physical());

  DeviceCaps caps = device->caps();
  for (const DriverQuirkEntry& entry : kDriverQuirks) {
    if (find_driver_quirks({&entry, 1}, identity) != 0) {
      SY_LOG_INFO("driver quirk for %s: %s", caps.name.c_str(), entry.note);
    }
  }
  apply_driver_quirks(find_driver_quirks(kDriverQuirks, identity), &caps);
  apply_device_profile(profile, &caps);
  if (profile != DeviceProfile::kNative) {
    SY_LOG_INFO("device profile %s: planning for %s with max storage buffer range %llu, shared "
                "memory %u, %u invocations per workgroup, subgroup arithmetic %s",
                device_profile_name(profile), caps.name.c_str(),
                static_cast<unsigned long long>(caps.max_storage_buffer_range),
                caps.max_shared_memory, caps.max_workgroup_invocations,
                caps.subgroup_arithmetic ? "yes" : "no");
  }
  device->set_caps(caps);
  return Status();
}

}  // namespace sy::vulkan
