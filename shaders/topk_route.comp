#version 450
#extension GL_GOOGLE_include_directive : require
// Router top-k: turns router logits [n, num_experts] into the chosen experts
// and their weights [n, top_k], in descending order with ties going to the
// lower expert index. One invocation per token.
// routing 1 (softmax_then_topk): weight = softmax over all experts.
// routing 2 (topk_then_softmax): weight = softmax over the k chosen logits.
// Experts are chosen by logit; softmax is monotonic, so this is the order of
// the probabilities too, except where two logits' exp() round to the same value.
// Then, when renormalize is set, weights are divided by their sum, and all are
// multiplied by routed_scaling.

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;

layout(binding = 0) readonly buffer Logits { float logits[]; };
layout(binding = 1) writeonly buffer Experts { int experts[]; };
layout(binding = 2) buffer Weights { float weights[]; };

layout(push_constant) uniform Push {
  uint token_begin;
  uint n;
  uint num_experts;
  uint top_k;
  uint routing;
  uint renormalize;
  float routed_scaling;
  uint route_offset;  // elements before token 0 in experts and weights
} p;

void main() {
  const uint t = p.token_begin + gl_GlobalInvocationID.x;
  if (t >= p.n) return;
  const uint base = t * p.num_experts;
  const uint out_base = p.route_offset + t * p.top_k;

  // Softmax denominator over all experts.
  float logit_max = logits[base];
  for (uint e = 1; e < p.num_experts; ++e) logit_max = max(logit_max, logits[base + e]);
  float sum_all = 0.0;
  for (uint e = 0; e < p.num_experts; ++e) sum_all += exp(logits[base + e] - logit_max);

  // Selection: pick s is the best expert that comes after pick s-1 in the
  // order (logit descending, index ascending).
  float previous_value = 0.0;
  int previous_expert = -1;
  float first_value = 0.0;
  float chosen_sum = 0.0;
  for (uint s = 0; s < p.top_k; ++s) {
    int best = -1;
    float best_value = 0.0;
    for (uint e = 0; e < p.num_experts; ++e) {
      const float v = logits[base + e];
      const bool after_previous = previous_expert < 0 || v < previous_value ||
                                  (v == previous_value && int(e) > previous_expert);
      if (after_previous && (best < 0 || v > best_value)) {
        best = int(e);
        best_value = v;
      }
    }
    experts[out_base + s] = best;
    previous_value = best_value;
    previous_expert = best;

    // The first pick has the largest chosen logit, so topk_then_softmax shifts by it.
    if (s == 0) first_value = best_value;
    const float w = p.routing == 1 ? exp(best_value - logit_max) / sum_all : exp(best_value - first_value);
    weights[out_base + s] = w;
    chosen_sum += w;
  }

  // Normalization and scaling.
  const bool divide = p.routing == 2 || p.renormalize != 0;
  for (uint s = 0; s < p.top_k; ++s) {
    float w = weights[out_base + s];
    if (divide) w /= chosen_sum;
    weights[out_base + s] = w * p.routed_scaling;
  }
}
