"""Random public ids and secrets, and how secrets are kept (hashed, never in clear)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def random_id(bits: int = 128) -> str:
    """A random base62 string of at least `bits` bits (128 bits → 22 characters)."""
    length = -(-bits * 1000 // 5954)  # log2(62) ≈ 5.954 bits per character
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_token(prefix: str) -> str:
    return f"{prefix}_{random_id(192)}"


def token_hash(token: str) -> str:
    """Tokens are long and random, so one fast hash is enough to keep them unusable if leaked."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_hex, digest_hex = stored.split("$")
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), dklen=32, **SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)
