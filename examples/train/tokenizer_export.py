"""Train the SentencePiece BPE tokenizer and export it in the Hugging Face formats.

The tokenizer follows Llama/Mixtral: BPE with byte fallback, identity normalization,
a dummy "▁" prefix, <unk>=0, <s>=1, </s>=2, no pad piece, and byte pieces
<0x00>..<0xFF> at ids 3..258. tokenizer.json has the legacy layout that
transformers' LlamaConverter (convert_slow_tokenizer.py) produces for such a model.
"""

import io
import json
import os

import sentencepiece as spm

SPIECE_UNDERLINE = "▁"
SPECIAL_PIECES = ("<unk>", "<s>", "</s>")


def train_sentencepiece(train_text, vocab_size):
    """Train a BPE model on train_text (one sentence per line) and return the processor.

    One trainer thread and no sentence sampling make the result depend only on the text.
    Lines are the training sentences, so "\\n" never becomes a piece and is encoded as
    the byte piece <0x0A>, as in Llama.
    """
    sentences = [line for line in train_text.split("\n") if line]
    model_bytes = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model_bytes,
        model_type="bpe",
        vocab_size=vocab_size,
        byte_fallback=True,
        character_coverage=1.0,
        normalization_rule_name="identity",
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        unk_piece="<unk>",
        bos_piece="<s>",
        eos_piece="</s>",
        input_sentence_size=0,
        shuffle_input_sentence=False,
        max_sentence_length=16384,
        num_threads=1,
        minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_proto=model_bytes.getvalue())


def check_piece_layout(sp):
    """Raise ValueError unless the special and byte pieces sit at the Llama ids."""
    for piece_id, piece in enumerate(SPECIAL_PIECES):
        if sp.id_to_piece(piece_id) != piece:
            raise ValueError(f"piece {piece_id} is {sp.id_to_piece(piece_id)!r}, expected {piece!r}")
    for byte in range(256):
        expected = f"<0x{byte:02X}>"
        if sp.id_to_piece(3 + byte) != expected or not sp.is_byte(3 + byte):
            raise ValueError(f"piece {3 + byte} is {sp.id_to_piece(3 + byte)!r}, expected byte piece {expected}")


def build_merges(vocab):
    """Build BPE merges the way transformers' SentencePieceExtractor does for Llama.

    Every split of a vocab piece into two pieces that are both in the vocab is a merge.
    Merges are ordered by the merged piece's id, then by the left and right pieces' ids.
    SentencePiece BPE scores fall strictly with the id for ordinary pieces, so this is
    the "sort by score, descending" order of the extractor.
    """
    merges = []
    for merged, merged_id in sorted(vocab.items(), key=lambda item: item[1]):
        splits = []
        for cut in range(1, len(merged)):
            left, right = merged[:cut], merged[cut:]
            if left in vocab and right in vocab:
                splits.append((vocab[left], vocab[right], f"{left} {right}"))
        merges.extend(merge for _, _, merge in sorted(splits))
    return merges


def build_tokenizer_json(sp):
    """Return the tokenizers-library JSON dict for a Llama-style SentencePiece BPE model."""
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    added_tokens = [
        {
            "id": piece_id,
            "content": piece,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for piece_id, piece in enumerate(SPECIAL_PIECES)
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Prepend", "prepend": SPIECE_UNDERLINE},
                {"type": "Replace", "pattern": {"String": " "}, "content": SPIECE_UNDERLINE},
            ],
        },
        "pre_tokenizer": None,
        "post_processor": _bos_template_processor(),
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": SPIECE_UNDERLINE}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ],
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "vocab": vocab,
            "merges": build_merges(vocab),
        },
    }


def _bos_template_processor():
    bos = lambda type_id: {"SpecialToken": {"id": "<s>", "type_id": type_id}}  # noqa: E731
    sequence = lambda name, type_id: {"Sequence": {"id": name, "type_id": type_id}}  # noqa: E731
    return {
        "type": "TemplateProcessing",
        "single": [bos(0), sequence("A", 0)],
        "pair": [bos(0), sequence("A", 0), bos(1), sequence("B", 1)],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
    }


def build_tokenizer_config(model_max_length):
    """Return a LlamaTokenizer-style tokenizer_config.json dict."""
    added_tokens_decoder = {
        str(piece_id): {
            "content": piece,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for piece_id, piece in enumerate(SPECIAL_PIECES)
    }
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": added_tokens_decoder,
        "bos_token": "<s>",
        "clean_up_tokenization_spaces": False,
        "eos_token": "</s>",
        "legacy": True,
        "model_max_length": model_max_length,
        "pad_token": None,
        "sp_model_kwargs": {},
        "spaces_between_special_tokens": False,
        "tokenizer_class": "LlamaTokenizer",
        "unk_token": "<unk>",
        "use_default_system_prompt": False,
    }


def bpe_encode_with_merges(text, vocab, merges):
    """Encode text with the exported vocab and merges, as the tokenizers BPE model would.

    Used only to check that tokenizer.json reproduces SentencePiece's ids. Text is
    normalized like the exported normalizer (prepend "▁", spaces to "▁"). Characters
    missing from the vocab fall back to their UTF-8 byte pieces.
    """
    rank = {merge: index for index, merge in enumerate(merges)}
    symbols = list(SPIECE_UNDERLINE + text.replace(" ", SPIECE_UNDERLINE))
    while len(symbols) > 1:
        pairs = [(rank.get(f"{a} {b}"), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        ranked = [pair for pair in pairs if pair[0] is not None]
        if not ranked:
            break
        _, best = min(ranked)
        symbols[best : best + 2] = [symbols[best] + symbols[best + 1]]

    ids = []
    for symbol in symbols:
        if symbol in vocab:
            ids.append(vocab[symbol])
        else:
            ids.extend(3 + byte for byte in symbol.encode("utf-8"))
    return ids


def verify_tokenizer_json(sp, texts):
    """Raise ValueError if the exported vocab and merges encode any of texts unlike SentencePiece."""
    model = build_tokenizer_json(sp)["model"]
    for text in texts:
        expected = sp.encode(text)
        actual = bpe_encode_with_merges(text, model["vocab"], model["merges"])
        if actual != expected:
            raise ValueError(f"tokenizer.json merges encode {text[:40]!r} as {actual[:20]}, SentencePiece as {expected[:20]}")


def write_tokenizer_files(sp, out_dir, model_max_length):
    """Write tokenizer.model, tokenizer.json and tokenizer_config.json into out_dir."""
    with open(os.path.join(out_dir, "tokenizer.model"), "wb") as out:
        out.write(sp.serialized_model_proto())
    _write_json(os.path.join(out_dir, "tokenizer.json"), build_tokenizer_json(sp))
    _write_json(os.path.join(out_dir, "tokenizer_config.json"), build_tokenizer_config(model_max_length))


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as out:
        json.dump(value, out, ensure_ascii=False, indent=2)
        out.write("\n")
