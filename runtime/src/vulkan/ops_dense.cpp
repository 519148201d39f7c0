// Embedding lookup, RMSNorm and matrix products.
#include "vulkan/ops.h"

namespace sy::vulkan {
namespace {

uint32_t ceil_div(uint64_t a, uint64_t b) { return static_cast<uint32_t>((a + b - 1) / b); }

}  // namespace

Status record_embed(Recorder& rec, const WeightTensor& table, BufferRange tokens,
                    uint32_t token_offset, uint32_t n, BufferRange out) {
  const Kernel& kernel = rec.runtime().kernels().embed[table.dtype_index()];
  const uint32_t hidden = static_cast<uint32_t>(table.shape[1]);
  // Pieces hold disjoint rows, so each output row is written by one dispatch.
  for (const WeightPiece& piece : table.pieces) {
    const EmbedPush push{0, n, hidden, token_offset, piece.first, piece.count};
    SY_RETURN_IF_ERROR(rec.dispatch(kernel, {whole(piece.buffer), tokens, out}, &push,
                                    sizeof(push), ceil_div(hidden, kernel.spec().local_size), n));
  }
  return Status();
}

Status record_rmsnorm(Recorder& rec, BufferRange x, uint32_t x_offset, BufferRange weight,
                      uint32_t n, uint32_t hidden, float eps, BufferRange y) {
  const RmsNormPush push{0, n, hidden, x_offset, eps};
  return rec.dispatch(rec.runtime().kernels().rmsnorm, {x, weight, y}, &push, sizeof(push), 1, n);
}

Status record_matmul(Recorder& rec, const WeightTensor& weight, const MatmulArgs& args) {
  const Kernels& kernels = rec.runtime().kernels();
  const Kernel& kernel =
      args.tiled ? kernels.matmul_tiled[weight.dtype_index()] : kernels.matmul[weight.dtype_index()];
  const uint32_t tiles = ceil_div(args.n, kernel.spec().tokens);
  const uint32_t cols = static_cast<uint32_t>(weight.shape.back());
  // Pieces hold disjoint rows, so their dispatches write disjoint outputs.
  for (const WeightPiece& piece : weight.pieces) {
    const MatmulPush push{0,
                          args.n,
                          piece.count,
                          cols,
                          args.x_stride,
                          args.x_offset,
                          args.y_stride,
                          args.y_offset + piece.first,
                          args.accumulate ? 1u : 0u};
    SY_RETURN_IF_ERROR(rec.dispatch(kernel, {whole(piece.buffer), args.x, args.y}, &push,
                                    sizeof(push), ceil_div(piece.count, kernel.spec().rows),
                                    tiles));
  }
  return Status();
}

}  // namespace sy::vulkan
