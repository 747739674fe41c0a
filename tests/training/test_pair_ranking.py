"""The rude-vs-calm ranking loss of LoRA training, on the tiny encoder the tests build."""

from __future__ import annotations

from pathlib import Path

import torch

from replyscore.samples import tone_replies
from replyscore.training.config import TrainConfig
from replyscore.training.tone import _batches_forever, fit_lora, negativity

RUDE_CALM = [
    ("Да сколько можно ныть, ждите и не пишите сюда!", "Понимаем, что ждать неприятно, заказ уже в пути."),
    ("Ваши претензии — полная чушь, товар нормальный.", "Мы проверили товар, но дефекта не нашли."),
    ("ЧИТАТЬ УМЕЕТЕ? размер указан в карточке", "Размер указан в карточке товара, в характеристиках."),
]


def _negativity(fit, tokenizer, texts: list[str]) -> torch.Tensor:
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = fit.adapter_model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        features = (hidden * mask).sum(1) / mask.sum(1)
        logits = features @ torch.from_numpy(fit.head_weight).T + torch.from_numpy(fit.head_bias)
    return negativity(logits)


def test_ranking_loss_puts_rude_texts_above_their_calm_rewrites(tiny_encoder_dir: Path) -> None:
    from transformers import AutoTokenizer

    rows = tone_replies()[::20] * 3
    texts = [r["text"] for r in rows] + [t for pair in RUDE_CALM for t in pair]
    labels = [r["tone"] for r in rows] + ["negative"] * 2 * len(RUDE_CALM)  # labels cannot tell them apart
    # One epoch: early stopping cannot hand back a checkpoint from before the pairs were learnt.
    cfg = TrainConfig(epochs=1, lr=5e-3, head_lr=1e-2, pair_weight=5.0, pair_batch=3, seed=3)
    fit = fit_lora(tiny_encoder_dir, "", texts, labels, cfg, (texts[:30], labels[:30]), pairs=RUDE_CALM)
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder_dir)
    scores = _negativity(fit, tokenizer, [t for pair in RUDE_CALM for t in pair])
    assert (scores[0::2] > scores[1::2]).all(), scores


def test_pair_batches_reshuffle_and_cover_every_pair() -> None:
    gen = torch.Generator().manual_seed(0)
    batches = _batches_forever(list(range(10)), 4, gen)
    first_pass = [next(batches), next(batches)]
    assert all(len(b) == 4 for b in first_pass) and len({*first_pass[0], *first_pass[1]}) == 8
    assert next(_batches_forever([1, 2], 4, gen)) in ([1, 2], [2, 1])
    assert list(_batches_forever([], 4, gen)) == []


def test_negativity_is_the_log_odds_of_negative() -> None:
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 1.0]])  # negative, neutral, positive
    probs = logits.softmax(1)[:, 0]
    torch.testing.assert_close(negativity(logits), torch.log(probs / (1 - probs)))
