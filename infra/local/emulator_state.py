"""Saving and restoring the emulator's state, so `make run` data survives a restart.

moto keeps everything in memory, in per-service backends. They are pickled to
one file under .local/: locks are recreated fresh (moto's SQS queues hold them)
and RSA keys travel as PEM (the Cognito pool's signing key), the two things in
them that pickle cannot carry. Writes go to a temporary file renamed into
place, so a crash mid-save never leaves a torn state file.
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

    state = {name: dict(get_backend(name)) for name in SERVICES}
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
    return True
