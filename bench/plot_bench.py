#!/usr/bin/python3
"""Plot switchyard-bench JSON results: prefill rate against prompt length and
decode time per token with the weight bandwidth it implies.

Usage: plot_bench.py OUT_DIR RESULT.json [RESULT.json ...]
Each file contains one result or, from a run over several bundles, an array of
them. Writes OUT_DIR/prefill.png and OUT_DIR/decode.png. Needs
python3-matplotlib.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def label(result):
    experts, top_k = result["num_experts"], result["top_k"]
    shape = "dense" if experts == 1 else f"{experts} experts, top-{top_k}"
    return f"{os.path.basename(result['bundle'])} ({shape})"


def plot_prefill(results, path):
    fig, ax = plt.subplots(figsize=(6, 4))
    for result in results:
        tokens = [row["tokens"] for row in result["prefill"]]
        rates = [row["tokens_per_s"] for row in result["prefill"]]
        line, = ax.plot(tokens, rates, marker="o", label=label(result))
        ax.axhline(result["decode_tokens_per_s"], color=line.get_color(), linestyle=":", linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("prompt tokens")
    ax.set_ylabel("tokens/s")
    ax.set_title("Prefill rate (dotted: decode rate of the same model)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_decode(results, path):
    fig, ax_time = plt.subplots(figsize=(7, 4))
    names = [label(result) for result in results]
    ms = [1e3 / result["decode_tokens_per_s"] for result in results]
    ax_time.bar(range(len(names)), ms, color="tab:blue")
    ax_time.set_xticks(range(len(names)), names, rotation=15, ha="right")
    ax_time.tick_params(axis="x", labelsize=7)
    ax_time.set_ylabel("decode ms/token")
    ax_time.set_ylim(0, max(ms) * 1.3)  # room for the legend above the bars
    ax_rate = ax_time.twinx()
    rates = [result["decode_weight_bytes_per_s"] / 1e9 for result in results]
    ax_rate.plot(range(len(names)), rates, color="tab:red", marker="o", label="weight GB/s")
    copy = max(result["copy_bytes_per_s"] for result in results) / 1e9
    if copy > 0:
        ax_rate.axhline(copy, color="tab:red", linestyle=":", label="vkCmdCopyBuffer GB/s")
    ax_rate.set_ylabel("GB/s")
    ax_rate.set_ylim(0, max([copy] + rates) * 1.3)
    ax_rate.legend(loc="upper center", fontsize=8, ncol=2)
    ax_time.set_title("Decode: time per token and implied weight bandwidth")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        try:
            print(__doc__)
        except BrokenPipeError:  # the reader, such as head, stopped early
            pass
        return
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        sys.exit(f"plot_bench.py: OUT_DIR {out_dir} is a file; pass the folder for the plots first")
    results = []
    for path in sys.argv[2:]:
        try:
            with open(path) as f:
                loaded = json.load(f)
        except (OSError, json.JSONDecodeError) as error:
            sys.exit(f"plot_bench.py: cannot read {path}: {error}")
        results.extend(loaded if isinstance(loaded, list) else [loaded])
    os.makedirs(out_dir, exist_ok=True)
    plot_prefill(results, os.path.join(out_dir, "prefill.png"))
    plot_decode(results, os.path.join(out_dir, "decode.png"))


if __name__ == "__main__":
    main()
