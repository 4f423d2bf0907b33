"""The credit packages on sale: the catalogue the webhook checks every payment
against (the credits granted come from here, never from the client)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Package:
    id: str
    credits: int
    amount: int  # in the currency's smallest unit, as Stripe takes it
    currency: str = "usd"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "credits": self.credits, "amount": self.amount,
                "currency": self.currency,
                "display_amount": f"${self.amount // 100}.{self.amount % 100:02d}"}


PACKAGES: dict[str, Package] = {
    package.id: package for package in (
        Package("basic", 10, 999),
        Package("standard", 25, 1999),
        Package("premium", 50, 2999),
    )
}


def catalogue() -> list[dict[str, Any]]:
    return [package.as_dict() for package in PACKAGES.values()]
