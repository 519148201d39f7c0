#include "vulkan/ops.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace sy::vulkan {
namespace {

Status check_arguments(const Kernel& kernel, std::initializer_list<BufferRange> buffers,
                       uint32_t push_size) {
  const KernelSpec& spec = kernel.spec();
  if (spec.shader.empty()) {
    return make_error(SY_ERROR_INTERNAL,
                      "a weight kernel was recorded before it was created. upload_tensor() "
                      "creates the kernels for the dtype and use of each tensor it uploads");
  }
  if (buffers.size() != spec.binding_count || push_size != spec.push_size) {
    return make_error(SY_ERROR_INTERNAL,
                      "kernel %s takes %u buffers and %u push bytes, got %zu and %u",
                      spec.shader.c_str(), spec.binding_count, spec.push_size, buffers.size(),
                      push_size);
  }
  return Status();
}

}  // namespace

Status Recorder::dispatch(const Kernel& kernel, std::initializer_list<BufferRange> buffers,
                          const void* push, uint32_t push_size, uint32_t groups_x,
                          uint32_t count_y) {
  SY_RETURN_IF_ERROR(check_arguments(kernel, buffers, push_size));
  const KernelSpec& spec = kernel.spec();
  if (groups_x == 0 || count_y == 0) return Status();
  if (groups_x > runtime_.caps().max_workgroup_count[0]) {
    // TODO: split along x too; no tensor in the shipped models comes close.
    return make_error(SY_ERROR_UNSUPPORTED, "kernel %s needs %u workgroups along x; %s allows %u",
                      spec.shader.c_str(), groups_x, runtime_.caps().name.c_str(),
                      runtime_.caps().max_workgroup_count[0]);
  }
  SY_RETURN_IF_ERROR(bind(kernel, buffers));
  std::vector<uint8_t> bytes(static_cast<const uint8_t*>(push),
                             static_cast<const uint8_t*>(push) + push_size);
  uint32_t token_begin = 0;
  std::memcpy(&token_begin, bytes.data(), sizeof(token_begin));
  const uint32_t max_y = runtime_.caps().max_workgroup_count[1];
  for (uint32_t done = 0; done < count_y; done += max_y) {
    const uint32_t slice = std::min(max_y, count_y - done);
    const uint32_t begin = token_begin + done;
    std::memcpy(bytes.data(), &begin, sizeof(begin));
    vkCmdPushConstants(command_buffer_, kernel.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size,
                       bytes.data());
    vkCmdDispatch(command_buffer_, groups_x, slice, 1);
  }
  mark_profile(kernel);
  return Status();
}

Status Recorder::dispatch_indirect(const Kernel& kernel, std::initializer_list<BufferRange> buffers,
                                   const void* push, uint32_t push_size, VkBuffer indirect,
                                   uint64_t offset) {
  SY_RETURN_IF_ERROR(check_arguments(kernel, buffers, push_size));
  SY_RETURN_IF_ERROR(bind(kernel, buffers));
  vkCmdPushConstants(command_buffer_, kernel.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size,
                     push);
  vkCmdDispatchIndirect(command_buffer_, indirect, offset);
  mark_profile(kernel);
  return Status();
}

Status Recorder::bind(const Kernel& kernel, std::initializer_list<BufferRange> buffers) {
  VkDescriptorSet set = VK_NULL_HANDLE;
  SY_RETURN_IF_ERROR(arena_->allocate(kernel.set_layout(), &set));
  std::vector<VkDescriptorBufferInfo> infos;
  std::vector<VkWriteDescriptorSet> writes;
  infos.reserve(buffers.size());
  for (const BufferRange& range : buffers) infos.push_back({range.buffer, range.offset, range.size});
  uint32_t i = 0;
  for (const BufferRange& range : buffers) {
    VkWriteDescriptorSet write{};
    write.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    write.dstSet = set;
    write.dstBinding = i;
    write.descriptorCount = 1;
    write.descriptorType = descriptor_type(kernel.spec(), i);
    if (write.descriptorType == VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER) {
      // A view covers its whole buffer, so the kernel cannot honour an offset.
      if (range.texel_view == VK_NULL_HANDLE || range.offset != 0) {
        return make_error(SY_ERROR_INTERNAL,
                          "kernel %s binding %u needs a texel buffer view of a whole buffer",
                          kernel.spec().shader.c_str(), i);
      }
      write.pTexelBufferView = &range.texel_view;
    } else {
      write.pBufferInfo = &infos[i];
    }
    writes.push_back(write);
    ++i;
  }
  vkUpdateDescriptorSets(runtime_.device().handle(), static_cast<uint32_t>(writes.size()),
                         writes.data(), 0, nullptr);

  vkCmdBindPipeline(command_buffer_, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipeline());
  vkCmdBindDescriptorSets(command_buffer_, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.layout(), 0, 1,
                          &set, 0, nullptr);
  return Status();
}

void Recorder::mark_profile(const Kernel& kernel) {
  if (profiler_ == nullptr) return;
  // The prefill tiles share a shader with the decode kernels.
  const KernelSpec& spec = kernel.spec();
  profiler_->mark(command_buffer_, spec.tokens > 1 ? spec.shader + " (tiled)" : spec.shader);
}

void Recorder::barrier() {
  VkMemoryBarrier barrier{};
  barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vkCmdPipelineBarrier(command_buffer_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, nullptr, 0,
                       nullptr);
}

void Recorder::indirect_barrier() {
  VkMemoryBarrier barrier{};
  barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask =
      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_INDIRECT_COMMAND_READ_BIT;
  vkCmdPipelineBarrier(command_buffer_,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT,
                       0, 1, &barrier, 0, nullptr, 0, nullptr);
}

void Recorder::host_read_barrier() {
  VkMemoryBarrier barrier{};
  barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(command_buffer_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, nullptr, 0, nullptr);
}

}  // namespace sy::vulkan
