#!/usr/bin/python3
"""Write a multi-shard Mixtral checkpoint of random weights for measuring the
compiler's peak memory: per-expert layout, F32 weights, two safetensors shards
plus model.safetensors.index.json, config.json and a minimal tokenizer.json.

Usage: make_big_checkpoint.py OUT_DIR [--layers N]
The default shape (hidden 1024, 8 experts of width 3584, 4 layers, vocab
32000) gives about 1.7 GB; the largest single tensor is embed_tokens or
lm_head, 131 MB.
"""

import argparse
import json
import os
import struct

import numpy as np


def tensor_shapes(cfg):
    h, f, e = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_local_experts"]
    d = cfg["head_dim"]
    shapes = {
        "model.embed_tokens.weight": (cfg["vocab_size"], h),
        "model.norm.weight": (h,),
        "lm_head.weight": (cfg["vocab_size"], h),
    }
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = (h,)
        shapes[p + "post_attention_layernorm.weight"] = (h,)
        shapes[p + "self_attn.q_proj.weight"] = (cfg["num_attention_heads"] * d, h)
        shapes[p + "self_attn.k_proj.weight"] = (cfg["num_key_value_heads"] * d, h)
        shapes[p + "self_attn.v_proj.weight"] = (cfg["num_key_value_heads"] * d, h)
        shapes[p + "self_attn.o_proj.weight"] = (h, cfg["num_attention_heads"] * d)
        shapes[p + "block_sparse_moe.gate.weight"] = (e, h)
        for x in range(e):
            shapes[p + f"block_sparse_moe.experts.{x}.w1.weight"] = (f, h)
            shapes[p + f"block_sparse_moe.experts.{x}.w2.weight"] = (h, f)
            shapes[p + f"block_sparse_moe.experts.{x}.w3.weight"] = (f, h)
    return shapes


def write_shard(path, names, shapes, rng):
    """Write one shard tensor by tensor, so this script's memory stays small too."""
    header, offset = {}, 0
    for name in names:
        size = int(np.prod(shapes[name])) * 4
        header[name] = {"dtype": "F32", "shape": list(shapes[name]), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for name in names:
            out.write((rng.standard_normal(shapes[name], dtype=np.float32) * 0.02).tobytes())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--layers", type=int, default=4, help="decoder layers")
    args = parser.parse_args()
    cfg = {
        "model_type": "mixtral", "architectures": ["MixtralForCausalLM"], "hidden_act": "silu",
        "hidden_size": 1024, "intermediate_size": 3584, "num_local_experts": 8,
        "num_experts_per_tok": 2, "num_hidden_layers": args.layers, "num_attention_heads": 8,
        "num_key_value_heads": 2, "head_dim": 128, "vocab_size": 32000,
        "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 1e6,
        "sliding_window": None, "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
    }
    os.makedirs(args.out_dir, exist_ok=True)
    shapes = tensor_shapes(cfg)
    names = sorted(shapes)
    halves = [names[: len(names) // 2], names[len(names) // 2:]]
    rng = np.random.default_rng(0)
    weight_map = {}
    for index, part in enumerate(halves):
        shard = f"model-{index + 1:05d}-of-00002.safetensors"
        write_shard(os.path.join(args.out_dir, shard), part, shapes, rng)
        weight_map.update({name: shard for name in part})
    with open(os.path.join(args.out_dir, "model.safetensors.index.json"), "w") as out:
        json.dump({"metadata": {}, "weight_map": weight_map}, out)
    with open(os.path.join(args.out_dir, "config.json"), "w") as out:
        json.dump(cfg, out)
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    vocab.update({f"<0x{b:02X}>": 3 + b for b in range(256)})
    tokenizer = {"model": {"type": "BPE", "byte_fallback": True, "unk_token": "<unk>", "vocab": vocab, "merges": []},
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}]}}
    with open(os.path.join(args.out_dir, "tokenizer.json"), "w") as out:
        json.dump(tokenizer, out)


if __name__ == "__main__":
    main()
