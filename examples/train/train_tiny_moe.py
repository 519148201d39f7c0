#!/usr/bin/python3
"""Train a tiny Mixtral-style MoE on Tiny Shakespeare and write a Hugging Face checkpoint.

Runs under Debian's /usr/bin/python3 with the Debian packages python3-torch (1.13),
python3-numpy and python3-sentencepiece; libopenblas0-pthread makes CPU training faster.
No transformers, tokenizers or safetensors package is needed.

The last 10% of the text (by bytes) is held out for evaluation. With --steps and no
--max-minutes the result depends only on the seed, the data and the thread count.

Output, under OUT_DIR/MODEL_NAME/: model.safetensors, config.json, generation_config.json,
tokenizer.model, tokenizer.json, tokenizer_config.json, training.json, and reference/
(outputs.safetensors and index.json, computed from the weights as saved).
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mixtral_model import (  # noqa: E402
    MixtralForCausalLM,
    MixtralShape,
    load_balancing_loss,
    per_layer_load_balancing_loss,
)
from reference_outputs import PROMPTS, evaluate_heldout, write_references  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402
from tokenizer_export import (  # noqa: E402
    check_piece_layout,
    train_sentencepiece,
    verify_tokenizer_json,
    write_tokenizer_files,
)

BOS_ID = 1
EOS_ID = 2
HELDOUT_FRACTION = 0.10
# transformers release whose MixtralConfig keys config.json follows; transformers is not used here.
TRANSFORMERS_VERSION = "4.48.0"


def parse_args(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-name", required=True, help="checkpoint folder name, e.g. shakespeare-moe-top2")
    parser.add_argument("--top-k", type=int, default=2, help="experts per token (num_experts_per_tok)")
    parser.add_argument("--num-experts", type=int, default=8, help="experts per layer (num_local_experts)")
    parser.add_argument("--weights-dtype", choices=("bf16", "f32"), default="bf16", help="dtype of saved weights")
    parser.add_argument("--steps", type=int, default=600, help="optimizer steps (also sets the LR schedule length)")
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="stop training after this many minutes even if --steps is not reached; "
        "the result then depends on machine speed",
    )

    parser.add_argument("--out-dir", default=os.path.join(here, "..", "models"), help="folder that receives MODEL_NAME/")
    parser.add_argument("--data", default=os.path.join(here, "..", "data", "tinyshakespeare.txt"), help="training text")
    parser.add_argument("--seed", type=int, default=1234, help="seed for initialization, batches and sampling")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")

    parser.add_argument("--batch-size", type=int, default=32, help="sequences per step")
    parser.add_argument("--seq-len", type=int, default=128, help="tokens per training sequence, including BOS")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak AdamW learning rate")
    parser.add_argument("--warmup-steps", type=int, default=40, help="linear warmup steps")
    parser.add_argument("--weight-decay", type=float, default=0.1, help="AdamW weight decay on 2-D weights")
    parser.add_argument("--aux-loss-coef", type=float, default=0.05, help="router_aux_loss_coef")
    parser.add_argument(
        "--aux-loss-scope",
        choices=("per-layer", "global"),
        default="per-layer",
        help="per-layer: average of the load-balancing loss of each layer; "
        "global: HF load_balancing_loss_func over all layers' router logits concatenated",
    )
    parser.add_argument("--vocab-size", type=int, default=1024, help="SentencePiece vocabulary size")
    return parser.parse_args(argv)


def split_text(path):
    """Return (train_text, heldout_text); the held-out part is the last 10% of the bytes."""
    with open(path, "rb") as source:
        data = source.read()
    cut = len(data) - int(len(data) * HELDOUT_FRACTION)
    return data[:cut].decode("utf-8"), data[cut:].decode("utf-8")


def model_shape(args):
    return MixtralShape(
        vocab_size=args.vocab_size,
        num_local_experts=args.num_experts,
        num_experts_per_tok=args.top_k,
    )


def learning_rate(step, args):
    """Linear warmup to --lr, then cosine decay to 10% of it at --steps."""
    if step < args.warmup_steps:
        return args.lr * (step + 1) / args.warmup_steps
    progress = (step - args.warmup_steps) / max(1, args.steps - args.warmup_steps)
    return args.lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress))))


def make_optimizer(model, args):
    """AdamW with weight decay on matrices only (not on norm weights)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.95), eps=1e-8)


def sample_batch(train_ids, args, generator):
    """Return (inputs, targets) [batch, seq_len]: BOS followed by a random window of the training tokens."""
    window = args.seq_len  # seq_len - 1 text tokens as input plus one more as the last target
    starts = torch.randint(0, len(train_ids) - window, (args.batch_size,), generator=generator)
    text = torch.stack([train_ids[s : s + window] for s in starts.tolist()])
    bos = torch.full((args.batch_size, 1), BOS_ID, dtype=torch.long)
    sequence = torch.cat([bos, text], dim=1)
    return sequence[:, :-1], sequence[:, 1:]


def train(model, train_ids, args):
    """Run the training loop and return a summary dict (steps done, seconds, last losses)."""
    generator = torch.Generator().manual_seed(args.seed)
    optimizer = make_optimizer(model, args)
    balance_loss = per_layer_load_balancing_loss if args.aux_loss_scope == "per-layer" else load_balancing_loss
    model.train()
    started = time.monotonic()
    history = []
    step = 0
    for step in range(args.steps):
        if args.max_minutes is not None and time.monotonic() - started > args.max_minutes * 60:
            print(f"stopping at step {step}: --max-minutes {args.max_minutes} reached", flush=True)
            break
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args)

        inputs, targets = sample_batch(train_ids, args, generator)
        logits, routing = model(inputs)
        lm_loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        aux_loss = balance_loss(routing, args.num_experts, args.top_k)
        loss = lm_loss + args.aux_loss_coef * aux_loss

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

        history.append((step, lm_loss.item(), aux_loss.item()))
        if step % 25 == 0 or step == args.steps - 1:
            elapsed = time.monotonic() - started
            print(f"step {step:5d}  lm_loss {lm_loss.item():.4f}  aux {aux_loss.item():.4f}  {elapsed:7.1f}s", flush=True)
    else:
        step = args.steps
    return {
        "steps_done": step,
        "train_seconds": round(time.monotonic() - started, 1),
        "final_lm_loss_per_token": round(history[-1][1], 4) if history else None,
        "loss_every_25_steps": [[s, round(lm, 4), round(aux, 4)] for s, lm, aux in history[::25]],
    }


def build_config(shape, args):
    """Return a complete MixtralConfig-style config.json dict."""
    return {
        "architectures": ["MixtralForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "head_dim": shape.head_dim,
        "hidden_act": "silu",
        "hidden_size": shape.hidden_size,
        "initializer_range": shape.initializer_range,
        "intermediate_size": shape.intermediate_size,
        "max_position_embeddings": shape.max_position_embeddings,
        "model_type": "mixtral",
        "num_attention_heads": shape.num_attention_heads,
        "num_experts_per_tok": shape.num_experts_per_tok,
        "num_hidden_layers": shape.num_hidden_layers,
        "num_key_value_heads": shape.num_key_value_heads,
        "num_local_experts": shape.num_local_experts,
        "output_router_logits": False,
        "pad_token_id": None,
        "rms_norm_eps": shape.rms_norm_eps,
        "rope_theta": shape.rope_theta,
        "router_aux_loss_coef": args.aux_loss_coef,
        "router_jitter_noise": 0.0,
        "sliding_window": None,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16" if args.weights_dtype == "bf16" else "float32",
        "transformers_version": TRANSFORMERS_VERSION,
        "use_cache": True,
        "vocab_size": shape.vocab_size,
    }


def build_generation_config():
    return {
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "do_sample": False,
        "max_new_tokens": 32,
        "transformers_version": TRANSFORMERS_VERSION,
    }


def save_checkpoint(model, shape, args, folder):
    """Write model.safetensors, config.json and generation_config.json into folder."""
    dtype = "BF16" if args.weights_dtype == "bf16" else "F32"
    tensors = {name: (dtype, value.detach().numpy()) for name, value in model.state_dict().items()}
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    write_json(os.path.join(folder, "config.json"), build_config(shape, args))
    write_json(os.path.join(folder, "generation_config.json"), build_generation_config())


def load_saved_weights(model, folder):
    """Load model.safetensors back into model, so later outputs use the rounded weights."""
    saved = read_safetensors(os.path.join(folder, "model.safetensors"))
    expected = set(model.state_dict())
    if set(saved) != expected:
        raise ValueError(f"saved tensor names differ: missing {expected - set(saved)}, extra {set(saved) - expected}")
    model.load_state_dict({name: torch.from_numpy(value) for name, value in saved.items()})
    model.eval()


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as out:
        json.dump(value, out, ensure_ascii=False, indent=2)
        out.write("\n")


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    folder = os.path.join(args.out_dir, args.model_name)
    os.makedirs(os.path.join(folder, "reference"), exist_ok=True)

    train_text, heldout_text = split_text(args.data)
    sp = train_sentencepiece(train_text, args.vocab_size)
    check_piece_layout(sp)
    shape = model_shape(args)
    write_tokenizer_files(sp, folder, shape.max_position_embeddings)
    verify_tokenizer_json(sp, PROMPTS + [heldout_text[:4000]])

    train_ids = torch.tensor(sp.encode(train_text), dtype=torch.long)
    print(f"train: {len(train_text.encode())} bytes, {len(train_ids)} tokens", flush=True)

    model = MixtralForCausalLM(shape)
    summary = train(model, train_ids, args)
    print(f"trained {summary['steps_done']} steps in {summary['train_seconds']} s", flush=True)

    save_checkpoint(model, shape, args, folder)
    load_saved_weights(model, folder)

    heldout = evaluate_heldout(model, sp, heldout_text, args.seq_len)
    print(json.dumps({k: v for k, v in heldout.items() if k != "expert_share"}), flush=True)
    print("min expert share per layer:", [min(layer) for layer in heldout["expert_share"]], flush=True)

    training = {"args": vars(args) | {"out_dir": None, "data": os.path.basename(args.data)}, **summary}
    training["torch_version"] = torch.__version__
    write_json(os.path.join(folder, "training.json"), training)
    write_references(model, sp, folder, build_config(shape, args), heldout, training, args.seed)


if __name__ == "__main__":
    main()
