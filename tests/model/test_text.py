"""Tokens, sentences and lemmas with offsets into the original text."""

from replyscore.model.text import analyze


def test_offsets_point_into_the_original_text() -> None:
    text = "Здравствуйте! Заказ №12345 уже в пути.\nОтветим до 18:00 МСК."
    analysis = analyze(text)
    assert len(analysis.sentences) == 3
    for token in analysis.tokens:
        assert text[token.start : token.end] == token.text
    assert [t.lemma for t in analysis.tokens if t.text == "Ответим"] == ["ответить"]


def test_yo_and_case_do_not_change_lemmas() -> None:
    a = analyze("ВЕРНЁМ деньги").tokens[0]
    b = analyze("вернем деньги").tokens[0]
    assert a.lemma == b.lemma == "вернуть"
    assert a.key == b.key


def test_zero_width_and_nbsp_are_cleaned_but_offsets_kept() -> None:
    text = "по\u200bстараемся\u00a0отправить"
    analysis = analyze(text)
    first = analysis.tokens[0]
    assert first.lemma == "постараться"
    assert (first.start, first.end) == (0, 12)
    assert first.text == text[0:12]
    assert analysis.tokens[1].text == "отправить"


def test_mixed_latin_cyrillic_words_are_read_as_cyrillic() -> None:
    token = analyze("пocтapaемся").tokens[0]  # Latin o, c, a, p inside
    assert token.lemma == "постараться"
    assert token.text == "пocтapaемся"


def test_combining_accent_is_composed() -> None:
    text = "Ответи\u0301м завтра"
    token = analyze(text).tokens[0]
    assert token.lemma == "ответить"
    assert text[token.start : token.end] == token.text
