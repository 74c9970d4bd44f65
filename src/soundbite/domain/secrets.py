"""Random public ids and secrets, and how secrets are kept (hashed, never in clear).

Passwords, which people choose and so need a slow hash, are in ``passwords.py``.
"""

from __future__ import annotations

import hashlib
import secrets

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def random_id(bits: int = 128) -> str:
    """A random base62 string of at least `bits` bits (128 bits → 22 characters)."""
    length = -(-bits * 1000 // 5954)  # log2(62) ≈ 5.954 bits per character
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_token(prefix: str) -> str:
    return f"{prefix}_{random_id(192)}"


def token_hash(token: str) -> str:
    """Tokens are long and random, so one fast hash is enough to keep them unusable if leaked."""
    return hashlib.sha256(token.encode()).hexdigest()
