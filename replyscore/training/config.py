"""Training settings (light: no torch import, so the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    mode: str = "lora"  # "head" or "lora"
    epochs: int = 5
    batch_size: int = 16
    lr: float = 4e-4
    head_lr: float = 2e-3
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    # encoder linear layers that get adapters; merged at load time, so more of them cost nothing when
    # serving ("dense": attention output and feed-forward layers)
    lora_targets: tuple[str, ...] = ("query", "key", "value", "dense")
    max_tokens: int = 128
    patience: int = 3  # epochs without a better validation macro-F1 before stopping
    head_c: float = 4.0
    seed: int = 13
    pair_weight: float = 1.0  # LoRA: weight of the rude-vs-calm ranking loss (0: off)
    pair_batch: int = 8  # rude/calm pairs per step
    pair_margin: float = 1.0  # log-odds of "negative": rude must exceed its calm rewrite by this
    label_smoothing: float = 0.0  # LoRA: cross-entropy label smoothing (keeps log-odds unsaturated)
    synthetic_pairs: int = 1500  # LoRA: rude variants of training texts added to the pairs (rudeness.py)
    encoder_layers: int | None = None  # keep only the first layers of the encoder (None: all)
