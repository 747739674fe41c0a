"""How categories are shown to people and to LanguageTool clients."""

from __future__ import annotations

from replyscore.model.categories import POLICY_CATEGORIES

NAMES: dict[str, str] = {
    "APOLOGY": "Извинения",
    "NEGATION": "Отрицания",
    "VAGUE": "Размытые формулировки",
    "NO_DEADLINE": "Обещание без срока",
    "PROMO": "Реклама и акции",
    "LINK": "Ссылки",
    "PHONE": "Номера телефонов",
    "EMAIL": "Адреса электронной почты",
    "ADDRESS": "Адреса",
    "OFF_PLATFORM": "Другие каналы связи",
    "CANCEL_REQUEST": "Просьба отменить заказ",
    "RUDE": "Грубость",
    "CAPS": "Заглавные буквы",
    "PUNCTUATION": "Пунктуация",
    "EMOJI": "Эмодзи и смайлики",
    "COMPETITOR": "Конкуренты и площадка",
    "PERSONAL_DATA": "Персональные данные",
}


def issue_type(category: str) -> str:
    """LanguageTool's issueType (the W3C ITS localization-quality issue types) for a category."""
    if category in POLICY_CATEGORIES:
        return "register" if category == "RUDE" else "non-conformance"
    if category in ("CAPS", "PUNCTUATION"):
        return "typographical"
    return "style"
