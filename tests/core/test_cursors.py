"""Signed list cursors: anything but a cursor we made for this user and query is a
400, whatever bytes it holds."""
from __future__ import annotations

import pytest

from chalicelib.core import cursors
from chalicelib.core.errors import BadRequestError


def test_a_cursor_round_trips_for_its_user_and_scope():
    cursor = cursors.encode({"pk": "a"}, user_id="u1", scope="videos")
    assert cursors.decode(cursor, user_id="u1", scope="videos") == {"pk": "a"}
    with pytest.raises(BadRequestError):
        cursors.decode(cursor, user_id="u2", scope="videos")


@pytest.mark.parametrize("cursor", ["é.x", "abc.é", "a\udcff.b", "\x00.\x00", "..", "",
                                    "a" * 3000])
def test_non_ascii_or_malformed_cursors_are_a_400(cursor):
    with pytest.raises(BadRequestError):
        cursors.decode(cursor, user_id="u1", scope="videos")
