"""A float32 torch model with the semantics of Hugging Face MixtralForCausalLM.

Parameter names match the Mixtral checkpoint names, so state_dict() keys are the
safetensors tensor names. The math follows transformers' modeling_mixtral.py. RMSNorm
runs in float32 and rotary embeddings use the "rotate_half" layout. Grouped-query causal
attention is scaled by 1/sqrt(head_dim). In the sparse MoE block the router takes a
softmax over all experts, keeps the top k and renormalizes their weights to sum to 1.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class MixtralShape:
    """Hyperparameters, named as in transformers' MixtralConfig."""

    vocab_size: int = 1024
    hidden_size: int = 128
    intermediate_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 32
    num_local_experts: int = 8
    num_experts_per_tok: int = 2
    max_position_embeddings: int = 512
    rms_norm_eps: float = 1e-5
    rope_theta: float = 1e6
    initializer_range: float = 0.02


class RMSNorm(nn.Module):
    """x * rsqrt(mean(x^2) + eps) * weight, computed in float32."""

    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


def rotary_cos_sin(positions, head_dim, theta):
    """Return cos and sin tables [seq, head_dim] with the frequencies repeated twice (HF layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    freqs = torch.outer(positions.float(), inv_freq)
    angles = torch.cat((freqs, freqs), dim=-1)
    return angles.cos(), angles.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    """Grouped-query causal self-attention with rotary position embeddings."""

    def __init__(self, shape):
        super().__init__()
        self.shape = shape
        width = shape.hidden_size
        self.q_proj = nn.Linear(width, shape.num_attention_heads * shape.head_dim, bias=False)
        self.k_proj = nn.Linear(width, shape.num_key_value_heads * shape.head_dim, bias=False)
        self.v_proj = nn.Linear(width, shape.num_key_value_heads * shape.head_dim, bias=False)
        self.o_proj = nn.Linear(shape.num_attention_heads * shape.head_dim, width, bias=False)

    def forward(self, x, cos, sin):
        batch, seq, _ = x.shape
        s = self.shape
        q = self.q_proj(x).view(batch, seq, s.num_attention_heads, s.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, seq, s.num_key_value_heads, s.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq, s.num_key_value_heads, s.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin

        # Query head h reads key/value head h // group, like HF repeat_kv.
        group = s.num_attention_heads // s.num_key_value_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)

        scores = q @ k.transpose(-1, -2) / math.sqrt(s.head_dim)
        causal = torch.ones(seq, seq, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(causal, float("-inf"))
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = (probs @ v).transpose(1, 2).reshape(batch, seq, -1)
        return self.o_proj(out)


class Expert(nn.Module):
    """SwiGLU feed-forward: w2(silu(w1 x) * w3 x)."""

    def __init__(self, shape):
        super().__init__()
        self.w1 = nn.Linear(shape.hidden_size, shape.intermediate_size, bias=False)
        self.w2 = nn.Linear(shape.intermediate_size, shape.hidden_size, bias=False)
        self.w3 = nn.Linear(shape.hidden_size, shape.intermediate_size, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


def select_experts(router_logits, top_k):
    """Return (weights, experts) [tokens, k]: softmax over all experts, top k, renormalized.

    Experts come in descending weight order, with ties going to the lower expert index
    (a stable descending sort). torch.topk does not promise that tie order.
    """
    probs = F.softmax(router_logits, dim=-1, dtype=torch.float32)
    sorted_probs, sorted_experts = torch.sort(probs, dim=-1, descending=True, stable=True)
    weights = sorted_probs[:, :top_k]
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights, sorted_experts[:, :top_k]


class SparseMoeBlock(nn.Module):
    """Mixtral's block_sparse_moe: a linear router and num_local_experts SwiGLU experts."""

    def __init__(self, shape):
        super().__init__()
        self.top_k = shape.num_experts_per_tok
        self.gate = nn.Linear(shape.hidden_size, shape.num_local_experts, bias=False)
        self.experts = nn.ModuleList(Expert(shape) for _ in range(shape.num_local_experts))

    def forward(self, x):
        """Return (output, router_logits [tokens, experts], weights [tokens, k], experts [tokens, k])."""
        batch, seq, width = x.shape
        tokens = x.reshape(-1, width)
        router_logits = self.gate(tokens)
        weights, experts = select_experts(router_logits, self.top_k)
        weights = weights.to(x.dtype)

        out = torch.zeros_like(tokens)
        for index, expert in enumerate(self.experts):
            token_ids, slot = torch.nonzero(experts == index, as_tuple=True)
            if token_ids.numel() == 0:
                continue
            expert_out = expert(tokens[token_ids]) * weights[token_ids, slot, None]
            out.index_add_(0, token_ids, expert_out)
        return out.view(batch, seq, width), router_logits, weights, experts


class DecoderLayer(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.input_layernorm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)
        self.self_attn = Attention(shape)
        self.post_attention_layernorm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)
        self.block_sparse_moe = SparseMoeBlock(shape)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        moe_out, router_logits, weights, experts = self.block_sparse_moe(self.post_attention_layernorm(x))
        return x + moe_out, (router_logits, weights, experts)


class MixtralBody(nn.Module):
    """The "model." part of MixtralForCausalLM: embeddings, decoder layers and final norm."""

    def __init__(self, shape):
        super().__init__()
        self.embed_tokens = nn.Embedding(shape.vocab_size, shape.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(shape) for _ in range(shape.num_hidden_layers))
        self.norm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)


class MixtralForCausalLM(nn.Module):
    """Decoder-only MoE language model with an untied lm_head."""

    def __init__(self, shape):
        super().__init__()
        self.shape = shape
        self.model = MixtralBody(shape)
        self.lm_head = nn.Linear(shape.hidden_size, shape.vocab_size, bias=False)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        # Same scheme as MixtralPreTrainedModel._init_weights: N(0, initializer_range), norms at 1.
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=self.shape.initializer_range)

    def forward(self, input_ids):
        """Return (logits [batch, seq, vocab], per-layer routing list of (router_logits, weights, experts))."""
        seq = input_ids.shape[1]
        if seq > self.shape.max_position_embeddings:
            raise ValueError(f"sequence length {seq} exceeds max_position_embeddings {self.shape.max_position_embeddings}")
        positions = torch.arange(seq, device=input_ids.device)
        cos, sin = rotary_cos_sin(positions, self.shape.head_dim, self.shape.rope_theta)

        x = self.model.embed_tokens(input_ids)
        routing = []
        for layer in self.model.layers:
            x, layer_routing = layer(x, cos, sin)
            routing.append(layer_routing)
        return self.lm_head(self.model.norm(x)), routing


def load_balancing_loss(routing, num_experts, top_k):
    """Switch-Transformer auxiliary loss as computed by HF load_balancing_loss_func.

    Router logits of all layers are concatenated. The loss is num_experts times the sum
    over experts of (share of top-k slots routed to the expert) * (mean router probability).
    """
    logits = torch.cat([router_logits for router_logits, _, _ in routing], dim=0)
    probs = F.softmax(logits, dim=-1, dtype=torch.float32)
    _, selected = torch.topk(probs, top_k, dim=-1)
    expert_mask = F.one_hot(selected, num_experts).float()
    tokens_per_expert = expert_mask.mean(dim=0)
    router_prob_per_expert = probs.mean(dim=0)
    return (tokens_per_expert * router_prob_per_expert.unsqueeze(0)).sum() * num_experts


def per_layer_load_balancing_loss(routing, num_experts, top_k):
    """Mean over layers of load_balancing_loss applied to each layer on its own.

    HF's version concatenates all layers, so it only balances expert use summed over
    layers, and one layer can leave an expert unused while another layer makes up for it.
    """
    losses = [load_balancing_loss([layer], num_experts, top_k) for layer in routing]
    return torch.stack(losses).mean()
