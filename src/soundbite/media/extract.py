"""Audio out of video uploads, so players, peaks and transcription handle one small audio file.

A video podcast episode can be a gigabyte of which the audio is 50 MB. We keep the audio track
bit-exact when its codec has a common audio-only container (AAC -> .m4a, MP3 -> .mp3, Opus ->
.opus, Vorbis -> .ogg, FLAC -> .flac): no generation loss, and copying an hour takes a second.
Anything else (AC-3, PCM in MOV, WMA...) is transcoded once to AAC in .m4a, which every
browser plays.

This is the ffmpeg binary's job, not PyAV's: remuxing and encoding to a file is exactly what its
muxers do well, and `run_ffmpeg` applies the input restrictions described in media/ffmpeg.py.
The output is written under a temporary name and renamed, so a crash never leaves a half file
that looks finished.
"""

from __future__ import annotations

import os
from pathlib import Path

from soundbite.domain.media import MediaInfo
from soundbite.media.ffmpeg import run_ffmpeg
from soundbite.media.probe import audio_stream, open_media

# codec -> (extension, ffmpeg muxer) for a stream copy
COPY_TARGETS = {
    "aac": (".m4a", "ipod"),
    "mp3": (".mp3", "mp3"),
    "opus": (".opus", "opus"),
    "vorbis": (".ogg", "ogg"),
    "flac": (".flac", "flac"),
}
AAC_BITRATE_PER_CHANNEL = 64_000  # transparent enough for speech at 128k stereo


def needs_extraction(info: MediaInfo) -> bool:
    """True when the upload carries video: we store and serve its audio track only."""
    return info.has_video


def extract_audio(src: Path, dst_dir: Path) -> Path:
    """Write the first audio track of `src` into `dst_dir` as an audio-only file; return it."""
    with open_media(src) as container:
        stream = audio_stream(container)
        codec = stream.codec_context.codec.canonical_name
        channels = stream.codec_context.channels or 2
    if codec in COPY_TARGETS:
        ext, muxer = COPY_TARGETS[codec]
        codec_args: list[str] = ["-c:a", "copy"]
    else:
        ext, muxer = ".m4a", "ipod"
        channels = min(channels, 2)  # a 5.1 mix is wasted on a podcast player
        bitrate = AAC_BITRATE_PER_CHANNEL * channels
        codec_args = ["-c:a", "aac", "-b:a", str(bitrate), "-ac", str(channels)]
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / f"{src.stem}{ext}"
    if dst.resolve() == src.resolve():
        dst = dst_dir / f"{src.stem}.audio{ext}"
    tmp = dst.with_name(f".{dst.name}.part")
    if muxer == "ipod":
        codec_args += ["-movflags", "+faststart"]  # index first: playable while loading
    args: list[str | Path] = ["-i", src, "-map", "0:a:0", "-vn", "-sn", "-dn", *codec_args]
    try:
        run_ffmpeg([*args, "-f", muxer, "-y", tmp])
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return dst
