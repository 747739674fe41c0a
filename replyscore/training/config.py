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
    max_tokens: int = 128
    patience: int = 2
    head_c: float = 4.0
    seed: int = 13
