"""Saving and restoring the emulator's state, so `make run` data survives a restart.

moto keeps everything in memory, in per-service backends. They are pickled to
one file under .local/: locks are recreated fresh (moto's SQS queues hold them)
and RSA keys travel as PEM (the Cognito pool's signing key), the two things in
them that pickle cannot carry. Writes go to a temporary file renamed into
place, so a crash mid-save never leaves a torn state file. A state saved under an
older schema is brought up to date as it is loaded (`upgrade_videos`); the indexes
themselves are converged to the template's by infra.local.provision.
"""
from __future__ import annotations

import io
import logging
import os
import pickle
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger(__name__)

SERVICES = ("dynamodb", "s3", "sqs", "cognito-idp")
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def _new_lock(reentrant: bool) -> Any:
    return threading.RLock() if reentrant else threading.Lock()


def _load_private_key(pem: bytes) -> Any:
    return serialization.load_pem_private_key(pem, password=None)


class _StatePickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCK_TYPES):
            return _new_lock, (isinstance(obj, _LOCK_TYPES[1]),)
        if isinstance(obj, rsa.RSAPrivateKey):
            pem = obj.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            return _load_private_key, (pem,)
        return NotImplemented


def snapshot() -> bytes:
    from moto.backends import get_backend

    state = {name: dict(get_backend(name)) for name in SERVICES}  # type: ignore[call-overload]
    buffer = io.BytesIO()
    _StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    return buffer.getvalue()


def save(path: Path) -> int:
    """Write the emulator's state to `path`; returns its size in bytes."""
    data = snapshot()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return len(data)


def load(path: Path) -> bool:
    """Put a saved state back into the emulator's backends. False if there is none."""
    if not path.exists():
        return False
    from moto.backends import get_backend

    try:
        state = pickle.loads(path.read_bytes())
    except Exception:  # noqa: BLE001 - a state from another moto version: start afresh
        log.warning("could not read the saved state %s; starting with an empty emulator", path)
        return False
    for name, accounts in state.items():
        backends = get_backend(name)
        backends.clear()
        backends.update(accounts)
    try:
        upgraded = upgrade_videos()
    except Exception:  # moto's internals moved: keep the data as saved
        log.warning("could not give saved videos their InFlightIndex keys", exc_info=True)
    else:
        if upgraded:
            log.info("%d saved videos in flight given their InFlightIndex keys", upgraded)
    return True


def upgrade_videos() -> int:
    """Bring videos saved under an older schema up to the current one, before anything
    serves them: a video queued or processing that has no InFlightIndex keys (saved
    when the table had StatusIndex instead) gets them (chalicelib.videos.video_store
    `in_flight_keys`), so the cleanup still finds it once provisioning has converged
    the table's indexes to the template's. Idempotent; how many videos it changed."""
    from moto.backends import get_backend
    from moto.dynamodb.models.dynamo_type import DynamoType

    from chalicelib.core import db
    from chalicelib.videos import video_store

    upgraded = 0
    for regions in get_backend("dynamodb").values():
        for backend in regions.values():
            for table in backend.tables.values():
                if not table.name.endswith("-videos") or table.hash_key_attr != "video_id":
                    continue
                for item in table.all_items():
                    if "in_flight" in item.attrs:
                        continue
                    keys = video_store.in_flight_keys(db.from_item(item.to_json()["Attributes"]))
                    for name, value in keys.items():
                        item.attrs[name] = DynamoType(db.attr(value))
                    upgraded += bool(keys)
    return upgraded
