"""One module writes the cards table (docs/ARCHITECTURE.md): chalicelib.reviews.card_store."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_only_the_card_store_writes_the_cards_table():
    writers = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        source = path.read_text()
        names_table = "CARDS_TABLE" in source or "card_store.table()" in source \
            or re.search(r"^def table\(\)", source, re.M) and "cards" in path.name
        if names_table and re.search(
                r"update_item|put_item|delete_item|transact|\"(Put|Update|Delete)\"", source):
            writers.add(path.relative_to(ROOT).as_posix())
    assert writers == {"chalicelib/reviews/card_store.py"}
