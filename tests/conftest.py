from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def encoder():
    """The default e5 encoder in fp32, converted once into $REPLYSCORE_CACHE_DIR (or the user cache)."""
    from replyscore.model.encoder import Encoder
    from replyscore.model.encoder_cache import build_default_encoder

    return Encoder.load(build_default_encoder(), quantize=False)


@pytest.fixture(scope="session")
def language_model():
    """The packaged default tone/vague model over the int8 encoder, as the service runs it."""
    from replyscore.model.language import ReplyLanguageModel

    return ReplyLanguageModel.load()


@pytest.fixture(scope="session")
def model_scorer(language_model):
    from replyscore.model.scorer import Scorer

    return Scorer(language_model=language_model)


def build_tiny_encoder(root, texts, max_positions: int = 192):
    """A small random BERT with a WordPiece tokenizer trained on `texts`, saved as a Hugging Face
    folder: stands in for any local encoder a user points replyscore at."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_positions,
    )
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_positions,
        pad_token_id=tok.token_to_id("[PAD]"),
    )
    folder = root / "tiny-bert"
    BertModel(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory):
    from replyscore.samples import tone_replies

    return build_tiny_encoder(tmp_path_factory.mktemp("encoder"), [r["text"] for r in tone_replies()[:300]])
