"""Read and write safetensors files with numpy, without the safetensors package.

Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header
length N, then N bytes of JSON, then the raw little-endian tensor data. The writer
sorts tensors by name, stores them back to back in that order, adds
"__metadata__": {"format": "pt"}, and pads the header with spaces to a multiple of 8.
"""

import json
import struct

import numpy as np

# safetensors dtype name -> numpy storage dtype. BF16 is stored as raw uint16 bits.
_STORAGE_DTYPES = {
    "F32": np.dtype("<f4"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "BF16": np.dtype("<u2"),
}


def f32_to_bf16_bits(array):
    """Round float32 values to bfloat16 (round to nearest, ties to even) and return the bits."""
    bits = np.ascontiguousarray(array, dtype="<f4").view("<u4").astype(np.uint64)
    rounding_bias = ((bits >> 16) & 1) + 0x7FFF
    rounded = ((bits + rounding_bias) >> 16).astype(np.uint16)
    nan_mask = np.isnan(np.asarray(array, dtype=np.float32))
    rounded[nan_mask] = 0x7FC0
    return rounded


def bf16_bits_to_f32(bits):
    """Widen raw bfloat16 bits to float32 values (exact)."""
    widened = np.asarray(bits, dtype="<u2").astype("<u4") << 16
    return widened.view("<f4")


def write_safetensors(path, tensors):
    """Write a safetensors file.

    tensors maps each name to (dtype, array), where dtype is "F32", "I32", "I64" or
    "BF16". For "BF16" the array may be float32 (it is rounded here) or uint16 bits.
    """
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        dtype, array = tensors[name]
        data = _encode_tensor(dtype, array)
        header[name] = {
            "dtype": dtype,
            "shape": list(np.shape(array)),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)

    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(header_bytes)))
        out.write(header_bytes)
        for data in blobs:
            out.write(data)


def _encode_tensor(dtype, array):
    if dtype not in _STORAGE_DTYPES:
        raise ValueError(f"unsupported safetensors dtype {dtype!r}; use one of {sorted(_STORAGE_DTYPES)}")
    array = np.asarray(array)
    if dtype == "BF16" and array.dtype != np.uint16:
        array = f32_to_bf16_bits(array)
    return np.ascontiguousarray(array, dtype=_STORAGE_DTYPES[dtype]).tobytes()


def read_safetensors(path):
    """Read a safetensors file into {name: float32/int array}; BF16 tensors are widened to float32."""
    with open(path, "rb") as source:
        (header_len,) = struct.unpack("<Q", source.read(8))
        header = json.loads(source.read(header_len))
        data = source.read()

    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        storage = np.frombuffer(data[begin:end], dtype=_STORAGE_DTYPES[info["dtype"]])
        if info["dtype"] == "BF16":
            storage = bf16_bits_to_f32(storage)
        tensors[name] = storage.reshape(info["shape"]).copy()
    return tensors
