"""Held-out evaluation and reference outputs for a trained tiny MoE checkpoint.

All numbers come from the float32 torch model in eval mode after its weights were
reloaded from model.safetensors, so bf16 rounding of saved weights is already applied.
"""

import json
import math
import os

import numpy as np
import torch

from safetensors_io import write_safetensors

BOS_ID = 1
GREEDY_NEW_TOKENS = 32
SAMPLE_NEW_TOKENS = 200
SAMPLE_TEMPERATURE = 0.8
SAMPLE_PROMPT = "ROMEO:"

# Prompt 0 also gets per-layer routing tensors, so keep it short.
PROMPTS = [
    "ROMEO:\nBut soft, what light through yonder window breaks?",
    "First Citizen:",
    (
        "HAMLET:\nTo be, or not to be, that is the question:\n"
        "Whether 'tis nobler in the mind to suffer\n"
        "The slings and arrows of outrageous fortune,\n"
        "Or to take arms against a sea of troubles\n"
        "And by opposing end them. To die: to sleep;\n"
        "No more; and by a sleep to say we end\n"
        "The heart-ache and the thousand natural shocks\n"
        "That flesh is heir to, 'tis a consummation\n"
        "Devoutly to be wish'd. To die, to sleep;\n"
        "To sleep: perchance to dream: ay, there's the rub;\n"
        "For in that sleep of death what dreams may come"
    ),
    "A",
    "Ça va, señor? — “quoth he” 🙂",
    "KING HENRY V:\n\nOnce more unto the breach,    dear friends,   once more;\n\n\n",
    "In 1599 the Globe held 3000 souls; act 2, scene 1, line 42.",
    "\tTab\tand trailing spaces  ",
]

TOLERANCE_NOTE = (
    "Computed in float32 by PyTorch {torch} on CPU from the weights as saved in model.safetensors "
    "(eval mode, full recompute per generated token). A correct float32 implementation should "
    "match logits to within about 1e-3 absolute; this bound is an estimate, not a measured limit. "
    "Greedy ids and routing choices should match exactly except where the two best logits "
    "(see greedy_min_margin) or the k-th and (k+1)-th router probabilities (see "
    "routing_min_gap) are within the numerical error of the implementation."
)


def heldout_windows(token_ids, seq_len):
    """Split held-out tokens into [BOS] + (seq_len - 1)-token windows; every token is a target once."""
    chunk = seq_len - 1
    windows = []
    for start in range(0, len(token_ids), chunk):
        text = token_ids[start : start + chunk]
        windows.append(([BOS_ID] + text[:-1], text))
    return windows


@torch.no_grad()
def evaluate_heldout(model, sp, heldout_text, seq_len, batch_size=32):
    """Return held-out loss figures and per-layer expert shares of routing slots."""
    token_ids = sp.encode(heldout_text)
    shape = model.shape
    slot_counts = np.zeros((shape.num_hidden_layers, shape.num_local_experts), dtype=np.int64)
    total_nats = 0.0
    windows = heldout_windows(token_ids, seq_len)
    for begin in range(0, len(windows), batch_size):
        group = windows[begin : begin + batch_size]
        for inputs, targets in _same_length_groups(group):
            logits, routing = model(torch.tensor(inputs))
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), torch.tensor(targets).reshape(-1), reduction="sum"
            )
            total_nats += loss.item()
            for layer, (_, _, experts) in enumerate(routing):
                slot_counts[layer] += np.bincount(experts.reshape(-1).numpy(), minlength=shape.num_local_experts)

    heldout_bytes = len(heldout_text.encode("utf-8"))
    shares = slot_counts / slot_counts.sum(axis=1, keepdims=True)
    return {
        "bytes": heldout_bytes,
        "tokens": len(token_ids),
        "nats_per_byte": round(total_nats / heldout_bytes, 4),
        "bits_per_byte": round(total_nats / heldout_bytes / math.log(2), 4),
        "nats_per_token": round(total_nats / len(token_ids), 4),
        "perplexity_per_token": round(math.exp(total_nats / len(token_ids)), 2),
        "min_expert_share": round(float(shares.min()), 4),
        "expert_share": [[round(float(s), 4) for s in layer] for layer in shares],
    }


def _same_length_groups(windows):
    """Yield (inputs, targets) batches of equal-length windows (only the last window may be shorter)."""
    by_length = {}
    for inputs, targets in windows:
        by_length.setdefault(len(inputs), ([], []))
        by_length[len(inputs)][0].append(inputs)
        by_length[len(inputs)][1].append(targets)
    yield from by_length.values()


@torch.no_grad()
def greedy_continuation(model, ids, new_tokens):
    """Return (new ids, smallest gap between the best and second-best logit over the steps).

    torch.argmax returns the first maximal index, so ties go to the lowest id.
    """
    sequence = list(ids)
    min_margin = float("inf")
    for _ in range(new_tokens):
        logits, _ = model(torch.tensor([sequence]))
        last = logits[0, -1]
        top2 = torch.topk(last, 2).values
        min_margin = min(min_margin, (top2[0] - top2[1]).item())
        sequence.append(int(torch.argmax(last)))
    return sequence[len(ids) :], min_margin


@torch.no_grad()
def sample_text(model, sp, prompt, new_tokens, temperature, seed):
    """Sample new_tokens after BOS + prompt at the given temperature and return the decoded text."""
    generator = torch.Generator().manual_seed(seed)
    sequence = [BOS_ID] + sp.encode(prompt)
    for _ in range(new_tokens):
        context = sequence[-model.shape.max_position_embeddings :]
        logits, _ = model(torch.tensor([context]))
        probs = torch.softmax(logits[0, -1] / temperature, dim=-1)
        sequence.append(int(torch.multinomial(probs, 1, generator=generator)))
    return sp.decode(sequence[1:])


@torch.no_grad()
def routing_tensors(model, ids):
    """Return (experts int32 [layers, n, k], weights f32 [layers, n, k], min router-probability gap)."""
    _, routing = model(torch.tensor([ids]))
    top_k = model.shape.num_experts_per_tok
    experts = np.stack([layer_experts.numpy() for _, _, layer_experts in routing]).astype(np.int32)
    weights = np.stack([layer_weights.numpy() for _, layer_weights, _ in routing]).astype(np.float32)
    gaps = []
    for router_logits, _, _ in routing:
        probs = torch.sort(torch.softmax(router_logits.float(), dim=-1), dim=-1, descending=True).values
        gaps.append((probs[:, top_k - 1] - probs[:, top_k]).min().item())
    return experts, weights, min(gaps)


def prompt_entry(model, sp, index, text, tensors):
    """Compute one prompt's reference tensors into tensors and return its index.json entry."""
    ids = [BOS_ID] + sp.encode(text)
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
    last = min(4, len(ids))
    greedy_ids, margin = greedy_continuation(model, ids, GREEDY_NEW_TOKENS)

    prefix = f"prompt{index}"
    tensors[f"{prefix}.ids"] = ("I32", np.array(ids, dtype=np.int32))
    tensors[f"{prefix}.logits_last4"] = ("F32", logits[0, -last:].numpy().astype(np.float32))
    tensors[f"{prefix}.greedy_ids"] = ("I32", np.array(greedy_ids, dtype=np.int32))
    entry = {
        "text": text,
        "ids": ids,
        "pieces": [sp.id_to_piece(i) for i in ids],
        "n_tokens": len(ids),
        "greedy_ids": greedy_ids,
        "greedy_text": sp.decode(greedy_ids),
        "greedy_min_margin": round(margin, 5),
        "tensors": {
            "ids": f"{prefix}.ids",
            "logits_last4": f"{prefix}.logits_last4",
            "logits_last4_positions": list(range(len(ids) - last, len(ids))),
            "greedy_ids": f"{prefix}.greedy_ids",
        },
    }
    if index == 0:
        experts, weights, gap = routing_tensors(model, ids)
        tensors[f"{prefix}.routing_experts"] = ("I32", experts)
        tensors[f"{prefix}.routing_weights"] = ("F32", weights)
        entry["tensors"]["routing_experts"] = f"{prefix}.routing_experts"
        entry["tensors"]["routing_weights"] = f"{prefix}.routing_weights"
        entry["routing_min_gap"] = round(gap, 6)
    return entry


def write_references(model, sp, folder, config, heldout, training, seed):
    """Write reference/outputs.safetensors and reference/index.json for the loaded model."""
    tensors = {}
    prompts = [prompt_entry(model, sp, i, text, tensors) for i, text in enumerate(PROMPTS)]
    sample = sample_text(model, sp, SAMPLE_PROMPT, SAMPLE_NEW_TOKENS, SAMPLE_TEMPERATURE, seed)
    index = {
        "model": os.path.basename(os.path.normpath(folder)),
        "config": config,
        "bos_prepended": True,
        "greedy": {"new_tokens": GREEDY_NEW_TOKENS, "ties": "lowest id", "stop_at_eos": False},
        "routing": {
            "prompt": 0,
            "layout": "[layers, n_tokens, k]; experts in descending weight order, ties to the lower index; "
            "weights are the top-k softmax probabilities divided by their sum",
        },
        "heldout": heldout,
        "heldout_method": "last 10% of the text bytes, tokenized in one piece, split into windows of "
        "BOS + up to 127 tokens; every held-out token is predicted exactly once",
        "training": {key: training[key] for key in ("steps_done", "train_seconds", "torch_version")},
        "tolerance_note": TOLERANCE_NOTE.format(torch=torch.__version__),
        "sample": {
            "prompt": SAMPLE_PROMPT,
            "new_tokens": SAMPLE_NEW_TOKENS,
            "temperature": SAMPLE_TEMPERATURE,
            "seed": seed,
            "text": sample,
        },
        "prompts": prompts,
    }
    write_safetensors(os.path.join(folder, "reference", "outputs.safetensors"), tensors)
    with open(os.path.join(folder, "reference", "index.json"), "w", encoding="utf-8") as out:
        json.dump(index, out, ensure_ascii=False, indent=2)
        out.write("\n")
    print(f"sample from {SAMPLE_PROMPT!r}:\n{sample}", flush=True)
