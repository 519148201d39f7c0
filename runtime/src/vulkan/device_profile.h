// Device profiles and the driver quirk table: the two ways the Vulkan backend
// plans for less than a device reports. Both only lower limits and clear
// features in DeviceCaps, before the kernels are chosen, so every kernel and
// weight split that follows fits them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/status.h"
#include "vulkan/device.h"

namespace sy::vulkan {

enum class DeviceProfile {
  kNative,  // the limits and features the device reports
  // A typical phone GPU: storage buffers of at most 128 MiB, 16 KiB of shared
  // memory and 128 invocations per workgroup, no subgroup operations, no fp16
  // arithmetic, no 8-bit storage.
  kMobile,
};

// Environment variable that selects the profile when the app sets none.
inline constexpr const char* kDeviceProfileVariable = "SWITCHYARD_DEVICE_PROFILE";

// Resolves the profile: `requested` ("native" or "mobile") when it is not
// empty, else SWITCHYARD_DEVICE_PROFILE, else kNative. An unknown name is
// SY_ERROR_INVALID_ARGUMENT.
Status resolve_device_profile(const std::string& requested, DeviceProfile* out);
const char* device_profile_name(DeviceProfile profile);
void apply_device_profile(DeviceProfile profile, DeviceCaps* caps);

// What the quirk table is keyed by: VkPhysicalDeviceProperties' vendorID,
// deviceID and driverVersion (the driver's own encoding).
struct DeviceIdentity {
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  uint32_t driver_version = 0;
};

enum DriverQuirk : uint32_t {
  // Subgroup-reduction kernels fail on the driver; use the _shmem kernels.
  kQuirkNoSubgroupArithmetic = 1u << 0,
};

struct DriverQuirkEntry {
  uint32_t vendor_id;
  uint32_t device_id;           // 0 matches every device of the vendor
  uint32_t min_driver_version;  // inclusive
  uint32_t max_driver_version;  // inclusive; UINT32_MAX for no upper bound
  uint32_t quirks;              // DriverQuirk bits
  const char* note;             // the problem and the affected devices, for the log
};

std::span<const DriverQuirkEntry> driver_quirk_table();
// Returns the quirks of every entry in `table` that matches `identity`.
uint32_t find_driver_quirks(std::span<const DriverQuirkEntry> table,
                            const DeviceIdentity& identity);
void apply_driver_quirks(uint32_t quirks, DeviceCaps* caps);

// Whether `caps` has every sy::shaders::Feature bit in `features`.
bool caps_support(const DeviceCaps& caps, uint32_t features);

// Applies the driver quirks for the device's identity, then the profile, to
// `device`'s caps, and logs what changed. `fake_identity` replaces the
// device's identity for the quirk lookup; it exists for tests.
Status restrict_device_caps(const std::string& requested_profile,
                            const std::optional<DeviceIdentity>& fake_identity, Device* device);

}  // namespace sy::vulkan
