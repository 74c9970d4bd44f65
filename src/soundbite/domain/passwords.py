"""How passwords are kept (argon2id) and which ones are refused (too easy to guess).

argon2id is the memory-hard hash the Password Hashing Competition chose: a stolen database
costs an attacker memory as well as time per guess. Hashes made before argon2 (scrypt, by
earlier releases) still verify, and ``needs_rehash`` says so, so the next successful sign-in
replaces them without anyone resetting a password.

Strength is zxcvbn's estimate (0-4) rather than composition rules: "correct horse battery
staple" passes, "P@ssw0rd1" does not, and the user is told why.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_SCORE = 3
MAX_CHECKED = 128  # zxcvbn's cost grows with length; beyond this a password is not guessable

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, 3 passes)
_LEGACY = "scrypt$"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    if stored.startswith(_LEGACY):
        return _verify_scrypt(password, stored)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a pre-argon2 hash or one made with weaker parameters than today's."""
    return stored.startswith(_LEGACY) or _hasher.check_needs_rehash(stored)


def _verify_scrypt(password: str, stored: str) -> bool:
    _, salt_hex, digest_hex = stored.split("$")
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


def weakness(password: str, *, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why `password` is too easy to guess, or None if it is strong enough."""
    if len(password) < 8:
        return "the password must be at least 8 characters"
    result = zxcvbn(password[:MAX_CHECKED], user_inputs=list(user_inputs))
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    hints = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
    reason = " ".join(h for h in hints if h) or "It would be guessed quickly."
    return f"this password is too easy to guess. {reason}"
