"""Finding categories: a public contract, keep the ids stable."""

CATEGORIES: tuple[str, ...] = (
    "APOLOGY",
    "NEGATION",
    "VAGUE",
    "NO_DEADLINE",
    "PROMO",
    "LINK",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "OFF_PLATFORM",
    "CANCEL_REQUEST",
    "RUDE",
    "CAPS",
    "PUNCTUATION",
    "EMOJI",
    "COMPETITOR",
    "PERSONAL_DATA",
)

# Marketplace chat policy: a reply with any of these must not be sent as is.
POLICY_CATEGORIES: frozenset[str] = frozenset(
    {
        "PROMO",
        "LINK",
        "PHONE",
        "EMAIL",
        "ADDRESS",
        "OFF_PLATFORM",
        "CANCEL_REQUEST",
        "RUDE",
        "COMPETITOR",
        "PERSONAL_DATA",
    }
)
