#!/usr/bin/python3
"""Make a synthetic Mixtral bundle of realistic shape with random f16 weights.

Writes a Hugging Face checkpoint (config.json, one safetensors file, a byte
tokenizer) into a temporary folder next to the output, compiles it with the
real compiler (switchyard-compile --dtype f16, or the --dtype given) and
deletes the checkpoint.

A "dense" model with the same active FFN as an MoE with E experts, top-2 and
expert width F is --experts 1 --top-k 1 --expert-width 2F.

Example (the 8-expert model of docs/BENCHMARKS.md):
  bench/make_bench_bundle.py --compiler build-perf/compiler/switchyard-compile \
      --experts 8 --top-k 2 --expert-width 512 -o /tmp/bench/e8.syb
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

# The tensor names and shapes of a per-expert Mixtral checkpoint.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compiler", "tools"))
from make_big_checkpoint import tensor_shapes  # noqa: E402


def write_safetensors(path, shapes, rng):
    """Write tensor by tensor, so this script's memory stays at one tensor."""
    names = sorted(shapes)
    header, offset = {}, 0
    for name in names:
        size = int(np.prod(shapes[name])) * 2
        header[name] = {"dtype": "F16", "shape": list(shapes[name]), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for name in names:
            shape = shapes[name]
            if name.endswith("norm.weight"):
                values = np.ones(shape, dtype=np.float16)
            else:
                # Scale 1/sqrt(fan-in) keeps activations of order one through the layers.
                scale = 1.0 / np.sqrt(shape[-1])
                values = (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float16)
            out.write(values.tobytes())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", required=True, help="bundle to write (.syb)")
    parser.add_argument("--compiler", default="switchyard-compile", help="switchyard-compile executable")
    parser.add_argument("--experts", type=int, default=8, help="experts per layer")
    parser.add_argument("--top-k", type=int, default=2, help="experts chosen per token")
    parser.add_argument("--hidden", type=int, default=1024, help="model width")
    parser.add_argument("--layers", type=int, default=8, help="decoder layers")
    parser.add_argument("--expert-width", type=int, default=512, help="FFN width of one expert")
    parser.add_argument("--heads", type=int, default=8, help="query heads")
    parser.add_argument("--kv-heads", type=int, default=2, help="key/value heads")
    parser.add_argument("--head-dim", type=int, default=128, help="size of one head")
    parser.add_argument("--vocab", type=int, default=4096, help="vocabulary size (at least 259)")
    parser.add_argument("--context", type=int, default=2048, help="max_position_embeddings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", default="f16", choices=["f32", "f16", "q8_0", "q4_0", "q4_1"],
                        help="storage dtype of matrix weights in the bundle")
    parser.add_argument("--expert-dtype", choices=["f32", "f16", "q8_0", "q4_0", "q4_1"],
                        help="dtype of expert weights, overriding --dtype")
    parser.add_argument("--attention-dtype", choices=["f32", "f16", "q8_0", "q4_0", "q4_1"],
                        help="dtype of the attention projections, overriding --dtype")
    args = parser.parse_args()
    if args.vocab < 259:
        sys.exit("--vocab must be at least 259: 3 special tokens and 256 byte tokens")

    checkpoint = args.output + ".checkpoint"
    os.makedirs(checkpoint, exist_ok=True)
    cfg = {
        "model_type": "mixtral", "architectures": ["MixtralForCausalLM"], "hidden_act": "silu",
        "hidden_size": args.hidden, "intermediate_size": args.expert_width,
        "num_local_experts": args.experts, "num_experts_per_tok": args.top_k,
        "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads, "head_dim": args.head_dim, "vocab_size": args.vocab,
        "max_position_embeddings": args.context, "rms_norm_eps": 1e-5, "rope_theta": 1e6,
        "sliding_window": None, "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
    }
    with open(os.path.join(checkpoint, "config.json"), "w") as out:
        json.dump(cfg, out)
    write_safetensors(os.path.join(checkpoint, "model.safetensors"), tensor_shapes(cfg),
                      np.random.default_rng(args.seed))
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    vocab.update({f"<0x{b:02X}>": 3 + b for b in range(256)})
    vocab.update({f"tok{i}": i for i in range(259, args.vocab)})
    tokenizer = {"model": {"type": "BPE", "byte_fallback": True, "unk_token": "<unk>", "vocab": vocab, "merges": []},
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}]}}
    with open(os.path.join(checkpoint, "tokenizer.json"), "w") as out:
        json.dump(tokenizer, out)
    try:
        command = [args.compiler, checkpoint, "-o", args.output, "--dtype", args.dtype]
        if args.expert_dtype:
            command += ["--expert-dtype", args.expert_dtype]
        if args.attention_dtype:
            command += ["--attention-dtype", args.attention_dtype]
        subprocess.run(command, check=True)
    finally:
        shutil.rmtree(checkpoint)


if __name__ == "__main__":
    main()
