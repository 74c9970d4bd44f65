"""Find the ffmpeg binary and run it on files we stored, and nothing else.

We decode, probe and draw waveforms with PyAV (in-process, no subprocess per file, packet-level
access). The ffmpeg *binary* is for jobs that write media files (extracting audio from video,
rendering clips, later audiograms): its muxers, encoders and filter graphs are stable, documented
and easy to reproduce on a command line when a user reports a bad render. imageio-ffmpeg ships a
static build in its wheel, so nothing needs to be installed; `SOUNDBITE_FFMPEG` or an explicit
path overrides it (a distro build, a build with other encoders).

Security: ffmpeg will follow references inside media files (HLS playlists, `ffconcat` lists,
which it detects by content, whatever the file name). An upload named `episode.mp3` that is an
ffconcat list could make a render read another file on the server. So every input gets:

- `-protocol_whitelist file,pipe`: no network, whatever a playlist points at;
- `-format_whitelist` with real media containers only (`MEDIA_DEMUXERS`): no playlist demuxers;
- a `file:` URL built from a `Path`, never a bare string, so a name with a colon is not a protocol.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import imageio_ffmpeg

from soundbite.errors import MediaError

# Demuxers of media files a podcaster may upload. A demuxer matches when any name in its
# comma-separated list is here ("mov" covers mov,mp4,m4a,3gp,3g2,mj2; "matroska" covers webm).
# Deliberately absent: hls, dash, concat, ffmetadata, image2, lavfi and other demuxers that
# open further files or URLs named inside the input.
MEDIA_DEMUXERS = (
    "mp3,mov,ogg,matroska,wav,w64,flac,aac,aiff,caf,asf,avi,flv,mpegts,mpeg,amr,ac3,eac3,"
    "wv,ape,tta,au,mpc,mpc8,dts,truehd,mlp,loas"
)
# What we pipe in ourselves may also be raw frames (``media/video.py``): rawvideo reads no
# other file, and no stored file is ever read through it.
PIPE_DEMUXERS = MEDIA_DEMUXERS + ",rawvideo"
INPUT_PROTOCOLS = "file,pipe"
DEFAULT_TIMEOUT_S = 1800.0

# ffmpeg lines that restate that something failed without saying what: the line before says it.
_GENERIC_LINES = re.compile(
    r"^(Conversion failed!|Error opening (input|output).*|Exiting normally.*|"
    r"Terminating thread with return code.*|Task finished with error code.*|"
    r"Error while (de|en)coding.*|.*Nothing was written into output file.*)$"
)
_CONTEXT_PREFIX = re.compile(r"^(\[[^\]]*\]\s*)+")


def find_ffmpeg(override: str | os.PathLike[str] | None = None) -> Path:
    """The ffmpeg binary to run: `override`, else `$SOUNDBITE_FFMPEG`, else imageio-ffmpeg's."""
    chosen = override or os.environ.get("SOUNDBITE_FFMPEG")
    if chosen:
        path = Path(chosen)
        if not (path.is_file() and os.access(path, os.X_OK)):
            # a deployment mistake, not the user's file: not a MediaError
            raise FileNotFoundError(f"ffmpeg binary not found or not executable: {path}")
        return path
    return Path(imageio_ffmpeg.get_ffmpeg_exe())


def ffmpeg_command(
    args: Sequence[str | Path], *, ffmpeg: str | os.PathLike[str] | None = None
) -> list[str]:
    """Build a safe ffmpeg command line from `args` (everything after `ffmpeg`).

    Every `-i` must be followed by a `Path` (or the literal "pipe:0" for stdin); the restrictions
    described in the module docstring are inserted before it. Other `Path` arguments (outputs)
    become absolute paths. Example::

        ffmpeg_command(["-i", src, "-vn", "-c:a", "copy", dst])
    """
    cmd = [str(find_ffmpeg(ffmpeg)), "-nostdin", "-hide_banner", "-loglevel", "error"]
    it = iter(args)
    for arg in it:
        if arg != "-i":
            cmd.append(_output_arg(arg))
            continue
        src = next(it, None)
        demuxers = MEDIA_DEMUXERS
        if isinstance(src, Path):
            url = "file:" + str(src.resolve())
        elif src == "pipe:0":
            url, demuxers = src, PIPE_DEMUXERS
        else:
            raise ValueError(f"ffmpeg inputs must be Paths of stored files, got {src!r}")
        cmd += ["-protocol_whitelist", INPUT_PROTOCOLS, "-format_whitelist", demuxers]
        cmd += ["-i", url]
    return cmd


def run_ffmpeg(
    args: Sequence[str | Path],
    *,
    ffmpeg: str | os.PathLike[str] | None = None,
    stdin: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> bytes:
    """Run ffmpeg to completion and return its stdout; a failure becomes a MediaError.

    The message is ffmpeg's last meaningful stderr line (e.g. "Invalid data found when
    processing input"), which is what a person can act on. Stderr is captured in full, so a
    chatty run cannot block on a full pipe.
    """
    cmd = ffmpeg_command(args, ffmpeg=ffmpeg)
    try:
        done = subprocess.run(
            cmd,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise MediaError(f"processing the media took longer than {timeout:.0f} s") from e
    if done.returncode != 0:
        reason = last_error_line(done.stderr.decode("utf-8", "replace"))
        if reason.startswith("Format not on whitelist"):
            reason = "unsupported file format: not an audio or video container"
        raise MediaError(f"ffmpeg failed: {reason or f'exit status {done.returncode}'}")
    return done.stdout


def last_error_line(stderr: str) -> str:
    """The last stderr line that says what went wrong, without ffmpeg's `[ctx @ 0x...]` prefix."""
    lines = [_CONTEXT_PREFIX.sub("", line).strip() for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    for line in reversed(lines):
        if not _GENERIC_LINES.match(line):
            return line
    return lines[-1] if lines else ""


def _output_arg(arg: str | Path) -> str:
    if isinstance(arg, Path):
        # absolute, so a relative name like "a:b.m4a" cannot be read as protocol "a"
        return str(arg.resolve())
    return arg


def close_pipes(encoder: subprocess.Popen[bytes]) -> None:
    """Our ends of an encoder's pipes, once it has exited and nothing reads them any more
    (left to the garbage collector, each render leaked its file objects)."""
    for pipe in (encoder.stdout, encoder.stderr):
        if pipe is not None:
            pipe.close()
    if encoder.stdin is not None:
        with contextlib.suppress(BrokenPipeError):  # an encoder that died left input unread
            encoder.stdin.close()
