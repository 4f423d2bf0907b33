"""Email addresses as one person: the normalised form that the sign-up bonus is
granted once for (docs/DESIGN.md section 5).

Case is ignored; a `+tag` is dropped (Gmail, Outlook, iCloud, Fastmail and most
hosts deliver name+anything to name); at Gmail, whose addresses ignore dots,
dots are dropped and googlemail.com is gmail.com. Unicode is NFKC-folded so
look-alike full-width forms count as the same letters.
"""
from __future__ import annotations

import unicodedata

GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def normalise(email: str) -> str:
    """The address one mailbox is known by; '' for something that is not an address."""
    folded = unicodedata.normalize("NFKC", email).strip().casefold()
    local, at, domain = folded.rpartition("@")
    if not at or not local or not domain:
        return ""
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else ""
