#include "vulkan/pipeline.h"

#include <utility>

#include "shader_registry.h"
#include "vulkan/vk_check.h"

namespace sy::vulkan {
namespace {

constexpr uint32_t kSetsPerPool = 256;
constexpr uint32_t kBuffersPerPool = kSetsPerPool * 6;
constexpr uint32_t kTexelBuffersPerPool = kSetsPerPool;

}  // namespace

VkDescriptorType descriptor_type(const KernelSpec& spec, uint32_t binding) {
  return (spec.texel_bindings >> binding) & 1 ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER
                                              : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
}

Status Kernel::create(const Device& device, const KernelSpec& spec, Kernel* out) {
  const shaders::ShaderInfo* shader = shaders::find_shader(spec.shader);
  if (shader == nullptr) {
    return make_error(SY_ERROR_INTERNAL, "shader %s is not in the shader registry",
                      spec.shader.c_str());
  }
  if (spec.local_size > device.caps().max_workgroup_size[0] ||
      spec.local_size > device.caps().max_workgroup_invocations) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "shader %s needs a workgroup of %u invocations; %s allows %u",
                      spec.shader.c_str(), spec.local_size, device.caps().name.c_str(),
                      device.caps().max_workgroup_size[0]);
  }
  // Full subgroups of the default size: a workgroup of that size is one
  // subgroup, which ONE_SUBGROUP shaders rely on.
  if ((shader->features & shaders::kFullSubgroups) &&
      (!device.caps().full_subgroups || spec.local_size != device.caps().subgroup_size)) {
    return make_error(SY_ERROR_INTERNAL,
                      "shader %s needs full subgroups and a workgroup of one subgroup (%u "
                      "invocations) on %s; it was given %u",
                      spec.shader.c_str(), device.caps().subgroup_size,
                      device.caps().name.c_str(), spec.local_size);
  }
  const VkDevice vk_device = device.handle();
  Kernel kernel;
  kernel.spec_ = spec;

  std::vector<VkDescriptorSetLayoutBinding> bindings(spec.binding_count);
  for (uint32_t i = 0; i < spec.binding_count; ++i) {
    bindings[i] = {i, descriptor_type(spec, i), 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo set_info{};
  set_info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  set_info.bindingCount = spec.binding_count;
  set_info.pBindings = bindings.data();
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  SY_VK_CHECK(vkCreateDescriptorSetLayout(vk_device, &set_info, nullptr, &set_layout));
  kernel.set_layout_ = DescriptorSetLayoutHandle(vk_device, set_layout);

  const VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, spec.push_size};
  VkPipelineLayoutCreateInfo layout_info{};
  layout_info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout;
  layout_info.pushConstantRangeCount = 1;
  layout_info.pPushConstantRanges = &push;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  SY_VK_CHECK(vkCreatePipelineLayout(vk_device, &layout_info, nullptr, &layout));
  kernel.layout_ = PipelineLayoutHandle(vk_device, layout);

  VkShaderModuleCreateInfo module_info{};

  module_info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
  module_info.codeSize = shader->word_count * sizeof(uint32_t);
  module_info.pCode = shader->words;
  VkShaderModule raw_module = VK_NULL_HANDLE;
  SY_VK_CHECK(vkCreateShaderModule(vk_device, &module_info, nullptr, &raw_module));
  const ShaderModuleHandle module(vk_device, raw_module);  // only needed until the pipeline exists

  // Constant 0 is the local size, constant 1 the rows and constant 2 the
  // tokens per workgroup; shaders without constants 1 or 2 ignore their entries.
  const uint32_t values[3] = {spec.local_size, spec.rows, spec.tokens};
  const VkSpecializationMapEntry entries[3] = {{0, 0, sizeof(uint32_t)},
                                               {1, sizeof(uint32_t), sizeof(uint32_t)},
                                               {2, 2 * sizeof(uint32_t), sizeof(uint32_t)}};
  VkSpecializationInfo specialization{3, entries, sizeof(values), values};
  VkComputePipelineCreateInfo pipeline_info{};
  pipeline_info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
  pipeline_info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  pipeline_info.stage.module = raw_module;
  pipeline_info.stage.pName = "main";
  if (shader->features & shaders::kFullSubgroups) {
    pipeline_info.stage.flags = VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT_EXT;
  }
  pipeline_info.stage.pSpecializationInfo = &specialization;
  pipeline_info.layout = layout;
  VkPipeline pipeline = VK_NULL_HANDLE;
  SY_VK_CHECK(
      vkCreateComputePipelines(vk_device, VK_NULL_HANDLE, 1, &pipeline_info, nullptr, &pipeline));
  kernel.pipeline_ = PipelineHandle(vk_device, pipeline);
  *out = std::move(kernel);
  return Status();
}

Status DescriptorArena::add_pool() {
  const VkDescriptorPoolSize sizes[2] = {
      {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kBuffersPerPool},
      {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, kTexelBuffersPerPool}};
  VkDescriptorPoolCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
  info.maxSets = kSetsPerPool;
  info.poolSizeCount = 2;
  info.pPoolSizes = sizes;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  SY_VK_CHECK(vkCreateDescriptorPool(device_, &info, nullptr, &pool));
  pools_.emplace_back(device_, pool);
  return Status();
}

Status DescriptorArena::allocate(VkDescriptorSetLayout layout, VkDescriptorSet* out) {
  while (true) {
    if (current_ == pools_.size()) SY_RETURN_IF_ERROR(add_pool());
    VkDescriptorSetAllocateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    info.descriptorPool = pools_[current_].get();
    info.descriptorSetCount = 1;
    info.pSetLayouts = &layout;
    const VkResult result = vkAllocateDescriptorSets(device_, &info, out);
    if (result == VK_SUCCESS) return Status();
    if (result != VK_ERROR_OUT_OF_POOL_MEMORY && result != VK_ERROR_FRAGMENTED_POOL) {
      return vk_error(result, "vkAllocateDescriptorSets", __FILE__, __LINE__);
    }
    ++current_;  // this pool is full; move on to the next
  }
}

Status DescriptorArena::reset() {
  for (DescriptorPoolHandle& pool : pools_) {
    SY_VK_CHECK(vkResetDescriptorPool(device_, pool.get(), 0));
  }
  current_ = 0;
  return Status();
}

}  // namespace sy::vulkan
