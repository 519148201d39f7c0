#!/usr/bin/env python3
"""Writes the synthetic seed corpora in tests/fuzz/corpus/.

Usage: tests/fuzz/make_seeds.py SWITCHYARD_COMPILE

Builds two tiny Mixtral checkpoints (top-1 with tied embeddings, top-2 with
an output matrix), compiles each with SWITCHYARD_COMPILE, and writes the
bundle, safetensors, config.json and tokenizer.json seeds, plus text and
token-id seeds for the tokenizer harnesses. Only the Python standard library
is used, and the output is the same on every run.
"""
import json
import random
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
SHIPPED = Path(__file__).resolve().parents[2] / "examples" / "models"


def tokenizer_json():
    """A sentencepiece-style BPE: specials, 256 byte pieces, a few letters and merges."""
    added = [{"id": i, "content": text, "special": True}
             for i, text in enumerate(["<unk>", "<s>", "</s>"])]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for byte in range(256):
        vocab[f"<0x{byte:02X}>"] = len(vocab)
    for piece in ["\u2581", "a", "b", "\u2581a", "ab", "\u2581ab"]:
        vocab[piece] = len(vocab)
    merges = ["\u2581 a", "a b", "\u2581a b"]
    return {
        "version": "1.0",
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}]},
        "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": True,
                  "vocab": vocab, "merges": merges},
    }


def config_json(top_k, tied, vocab_size):
    return {
        "model_type": "mixtral", "architectures": ["MixtralForCausalLM"],
        "vocab_size": vocab_size, "hidden_size": 8, "intermediate_size": 8,
        "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
        "head_dim": 4, "hidden_act": "silu", "max_position_embeddings": 16,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "num_local_experts": 2,
        "num_experts_per_tok": top_k, "tie_word_embeddings": tied,
        "bos_token_id": 1, "eos_token_id": 2, "sliding_window": None,
    }


def safetensors_bytes(tensors):
    """tensors: {name: (shape, [float])} stored as F32, sorted by name."""
    header, data = {}, bytearray()
    for name in sorted(tensors):
        shape, values = tensors[name]
        begin = len(data)
        data += struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [begin, len(data)]}
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(data)


def weights(config, rng):
    H, F, V, E = (config["hidden_size"], config["intermediate_size"], config["vocab_size"],
                  config["num_local_experts"])
    d, Nq, Nkv = config["head_dim"], config["num_attention_heads"], config["num_key_value_heads"]

    def tensor(*shape):
        count = 1
        for dim in shape:
            count *= dim
        return (list(shape), [round(rng.uniform(-0.5, 0.5), 3) for _ in range(count)])

    out = {"model.embed_tokens.weight": tensor(V, H), "model.norm.weight": tensor(H)}
    if not config["tie_word_embeddings"]:
        out["lm_head.weight"] = tensor(V, H)
    prefix = "model.layers.0."
    out[prefix + "input_layernorm.weight"] = tensor(H)
    out[prefix + "post_attention_layernorm.weight"] = tensor(H)
    out[prefix + "self_attn.q_proj.weight"] = tensor(Nq * d, H)
    out[prefix + "self_attn.k_proj.weight"] = tensor(Nkv * d, H)
    out[prefix + "self_attn.v_proj.weight"] = tensor(Nkv * d, H)
    out[prefix + "self_attn.o_proj.weight"] = tensor(H, Nq * d)
    out[prefix + "block_sparse_moe.gate.weight"] = tensor(E, H)
    for e in range(E):
        expert = f"{prefix}block_sparse_moe.experts.{e}."
        out[expert + "w1.weight"] = tensor(F, H)
        out[expert + "w3.weight"] = tensor(F, H)
        out[expert + "w2.weight"] = tensor(H, F)
    return out


def write(harness, name, data):
    folder = CORPUS / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def model_seeds(compiler):
    tokenizer = tokenizer_json()
    vocab_size = len(tokenizer["model"]["vocab"])
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        for name, top_k, tied in [("tiny-top1-tied", 1, True), ("tiny-top2", 2, False)]:
            folder = Path(tmp) / name
            folder.mkdir()
            config = config_json(top_k, tied, vocab_size)
            (folder / "config.json").write_text(json.dumps(config, indent=1))
            (folder / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
            st = safetensors_bytes(weights(config, rng))
            (folder / "model.safetensors").write_bytes(st)
            bundle = Path(tmp) / f"{name}.syb"
            subprocess.run([compiler, str(folder), "-o", str(bundle), "--dtype", "f32"], check=True,
                           stderr=subprocess.DEVNULL)
            write("bundle", f"{name}.syb", bundle.read_bytes())
            write("safetensors", f"{name}.safetensors", st)
            write("hf_config", f"{name}.json", json.dumps(config, indent=1))
    write("tokenizer_json", "tiny-sentencepiece.json", json.dumps(tokenizer, ensure_ascii=False))
    write("safetensors", "empty-tensor.safetensors", safetensors_bytes({"empty": ([0, 4], [])}))


def shipped_seeds():
    for model in ["shakespeare-moe-top1", "shakespeare-moe-top2"]:
        folder = SHIPPED / model
        if (folder / "config.json").exists():
            shutil.copy(folder / "config.json", CORPUS / "hf_config" / f"{model}.json")
    tokenizer = SHIPPED / "shakespeare-moe-top2" / "tokenizer.json"
    if tokenizer.exists():
        shutil.copy(tokenizer, CORPUS / "tokenizer_json" / "shakespeare.json")


def tokenizer_seeds():
    # Byte 0: bit 0 picks the tokenizer (0 shipped sentencepiece, 1 byte-level),
    # bit 7 sets add_bos.
    texts = {
        "romeo": b"\x80ROMEO: But soft, what light through yonder window breaks?",
        "byte-level": b"\x01The other thing in the hand, then",
        "invalid-utf8": b"\x00caf\xc3 \xff\xfe \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf",
        "multibyte": "\x00\u00e9t\u00e9 \u4e2d\u6587 \U0001F600 \u2581x".encode(),
        "spaces": b"\x01  two  spaces\n\ttab 's 've 123",
    }
    for name, data in texts.items():
        write("tokenizer_encode", name, data)
    ids = {
        "letters": (0, [1, 259, 260, 261, 2]),
        "bytes": (0, [0xE5 + 3, 0xA4 + 3, 0xA9 + 3, 0xFF + 3]),
        "out-of-range": (1, [5, -1, 70000, 2**31 - 1]),
        "byte-level": (1, [1 + ord("h"), 1 + ord("i"), 257, 0]),
    }
    for name, (tokenizer, values) in ids.items():
        write("tokenizer_decode", name, bytes([tokenizer]) + struct.pack(f"<{len(values)}i", *values))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeds.py SWITCHYARD_COMPILE")
    model_seeds(sys.argv[1])
    shipped_seeds()
    tokenizer_seeds()


if __name__ == "__main__":
    main()
