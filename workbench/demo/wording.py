"""Small wording helpers shared by the demo generators."""

from __future__ import annotations

import re


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(amount_m: float, currency: str = "USD") -> str:
    """$850m, €1.2bn, CHF 300m: how a deal team writes amounts (millions of ``currency``)."""
    sign = _SYMBOLS.get(currency, f"{currency} ")
    if abs(amount_m) >= 1000:
        return f"{sign}{amount_m / 1000:,.1f}bn"
    return f"{sign}{amount_m:,.0f}m"


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def pct(value: float) -> str:
    """A coupon as a desk quotes it: 5.625%, 4.5%, 6%."""
    return f"{value:.3f}".rstrip("0").rstrip(".") + "%"


def possessive(name: str) -> str:
    return name + ("'" if name.endswith("s") else "'s")


_VOWEL_SOUND_EXCEPTIONS = ("eu", "uni", "use", "usu", "one", "u.s", "uk", "us")
_A_BEFORE = re.compile(r"\b([Aa]) (?=(\S+))")


def _wants_an(word: str) -> bool:
    lower = word.lower()
    if lower[:1].isdigit():
        # "an 8.5% coupon", "an 11-year", "an 18.0% premium"; "a 1.2bn" stays
        return lower.startswith("8") or re.match(r"1[18](?!\d\d)", lower) is not None
    if lower.startswith(("uk", "us")) and not lower.startswith(("usu", "use")):
        return len(lower.strip(".,;")) > 2  # "a US bank", "a UK unit", but "an usher"
    return lower[:1] in "aeiou" and not lower.startswith(_VOWEL_SOUND_EXCEPTIONS)


def fix_articles(text: str) -> str:
    """Templates write "a {word}"; make it "an" where the next word needs it."""
    return _A_BEFORE.sub(lambda m: (m.group(1) + "n " if _wants_an(m.group(2)) else m.group(0)), text)
