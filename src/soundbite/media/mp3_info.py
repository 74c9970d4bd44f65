"""The layout of a CBR MP3 before it is encoded, and its Info/LAME header frame.

A constant-bit-rate MP3 of a known number of samples has a known shape: libmp3lame emits
``(samples + 576 + end_padding) / frame_samples`` frames (576 is LAME's encoder delay;
``end_padding`` is the least that completes the last frame and leaves at least 576 samples
after the audio, ``lame_encode_flush``), each ``144 * bitrate / rate`` bytes (72 for MPEG-2
and 2.5), plus one padding byte on the frames LAME's slot counter pads (``slot_lag``, the
algorithm of ISO 11172-3 as LAME implements it: never the first frame). So the whole file's
size, and the header frame that tells decoders how many frames it holds and how many samples
to drop at each end (gapless playback), can be written before the first sample is encoded.

The header frame is what FFmpeg's MP3 muxer writes at the end of a seekable file (compared
with it in ``tests/test_render.py``): an MPEG audio frame of silence whose side info is
followed by ``Info`` (Xing's tag for CBR), the frame count, the byte count of the whole file,
a 100-entry seek table, and a LAME tag with the encoder delay and padding (12 bits each) and a
CRC-16 of the frame up to that checksum (LAME's rule; FFmpeg sums the first 190 bytes with the
checksum zeroed, the same bytes for MPEG-1 stereo only). Two fields stay zero because they
need the encoded audio: the peak amplitude and the CRC of the audio data; no decoder we know
of checks either. Measured against libmp3lame in the bundled ffmpeg for every MPEG rate, mono
and stereo, 32 to 320 kbit/s, lengths from 576 samples to 300 s (the longest clip): size and frame
count were always exact, and decoders trim to exactly the samples encoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cached_property

ENCODER_DELAY = 576  # samples LAME puts before the audio (lame_get_encoder_delay)
MIN_END_PADDING = 576  # LAME leaves at least this much after the audio, to flush its filters
TOC_SIZE = 100
ENCODER = b"LAME3.100"  # FFmpeg, mpg123 and Apple read the delay only after a LAME-ish name

_BASE_RATES = (44100, 48000, 32000)
_KBPS_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_KBPS_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
MP3_RATES = tuple(sorted(r >> s for r in _BASE_RATES for s in (0, 1, 2)))


@dataclass(frozen=True)
class Mp3Layout:
    """Where every byte of a CBR MP3 of `samples` samples will be, and its header frame."""

    samples: int
    rate: int
    channels: int
    kbps: int

    def __post_init__(self) -> None:
        if self.rate not in MP3_RATES:
            raise ValueError(f"MP3 has no {self.rate} Hz")
        if self.kbps not in self._kbps_table:
            raise ValueError(f"MPEG audio at {self.rate} Hz has no {self.kbps} kbit/s")
        if self.channels not in (1, 2) or self.samples < 0:
            raise ValueError("an MP3 holds one or two channels and a positive length")

    @property
    def mpeg1(self) -> bool:
        return self.rate >= 32000

    @property
    def frame_samples(self) -> int:
        return 1152 if self.mpeg1 else 576

    @property
    def _kbps_table(self) -> tuple[int, ...]:
        return _KBPS_V1 if self.mpeg1 else _KBPS_V2

    @property
    def end_padding(self) -> int:
        """Samples LAME appends after the audio (decoders drop them, given the LAME tag)."""
        used = (self.samples + ENCODER_DELAY) % self.frame_samples
        padding = self.frame_samples - used
        return padding + self.frame_samples if padding < MIN_END_PADDING else padding

    @property
    def frames(self) -> int:
        """Audio frames the encoder writes (the header frame not counted, as in the tag)."""
        return (self.samples + ENCODER_DELAY + self.end_padding) // self.frame_samples

    @cached_property
    def frame_sizes(self) -> list[int]:
        """Each audio frame's length in bytes, padded where LAME's slot counter says so."""
        numerator = self.frame_samples // 8 * self.kbps * 1000  # 144 or 72 * bit rate
        base, fraction = divmod(numerator, self.rate)
        sizes, lag = [], fraction
        for _ in range(self.frames):
            lag -= fraction
            padded = lag < 0
            if padded:
                lag += self.rate
            sizes.append(base + padded)
        return sizes

    @cached_property
    def header(self) -> bytes:
        """The Info/LAME frame that goes first (see the module docstring)."""
        kbps = self._header_kbps()
        length = self.frame_samples // 8 * kbps * 1000 // self.rate
        frame = bytearray(length)
        frame[0:4] = self._frame_header(kbps)
        at = 4 + self._side_info_size
        toc = self._toc(length)
        struct.pack_into(">4sIII", frame, at, b"Info", 0x0F, self.frames, self.size)
        frame[at + 16 : at + 16 + TOC_SIZE] = toc
        at += 16 + TOC_SIZE + 4  # the quality field stays 0
        delay_padding = (ENCODER_DELAY << 12 | self.end_padding).to_bytes(3, "big")
        lame = struct.pack(
            ">9sBB4xHHBB3sBBHIHH",
            ENCODER,
            0x01,  # tag revision 0, method 1: CBR
            0,  # lowpass unknown
            0,  # radio gain (peak amplitude, the 4 bytes before it, is 0: unknown)
            0,  # audiophile gain
            0,  # encoding flags
            min(self.kbps, 255),  # the CBR bit rate
            delay_padding,
            0,  # misc
            0,  # MP3 gain
            0,  # preset and surround
            self.size,  # music length: the whole file, as FFmpeg writes it
            0,  # music CRC: needs the audio; nobody checks it
            0,  # tag CRC: below
        )
        frame[at : at + len(lame)] = lame
        crc_at = at + len(lame) - 2
        frame[crc_at : crc_at + 2] = crc16(bytes(frame[:crc_at])).to_bytes(2, "big")
        return bytes(frame)

    @property
    def header_size(self) -> int:
        return self.frame_samples // 8 * self._header_kbps() * 1000 // self.rate

    @cached_property
    def size(self) -> int:
        """Bytes of the whole file: the header frame and every audio frame."""
        return self.header_size + sum(self.frame_sizes)

    @property
    def _side_info_size(self) -> int:
        if self.mpeg1:
            return 17 if self.channels == 1 else 32
        return 9 if self.channels == 1 else 17

    def _header_kbps(self) -> int:
        """The clip's bit rate, or the next one up if its frame is too small for the tag."""
        needed = 4 + self._side_info_size + 16 + TOC_SIZE + 4 + 36
        for kbps in self._kbps_table[1:]:
            if kbps >= self.kbps and self.frame_samples // 8 * kbps * 1000 // self.rate >= needed:
                return kbps
        return self._kbps_table[-1]

    def _frame_header(self, kbps: int) -> bytes:
        version = 3 if self.mpeg1 else 2 if self.rate >= 16000 else 0
        shift = {3: 0, 2: 1, 0: 2}[version]
        rate_index = _BASE_RATES.index(self.rate << shift)
        bitrate_index = self._kbps_table.index(kbps)
        mode = 3 if self.channels == 1 else 0  # mono, or stereo (as FFmpeg's muxer writes it)
        return bytes(
            (
                0xFF,
                0xE0 | version << 3 | 1 << 1 | 1,
                bitrate_index << 4 | rate_index << 2,
                mode << 6,
            )
        )

    def _toc(self, header_size: int) -> bytes:
        """Byte position (in 256ths of the file) at each percent of the duration."""
        starts = [header_size]
        for size in self.frame_sizes:
            starts.append(starts[-1] + size)
        total = self.header_size + sum(self.frame_sizes)
        return bytes(
            min(255, 256 * starts[i * self.frames // TOC_SIZE] // total) for i in range(TOC_SIZE)
        )


def lame_kbps(kbps: int, rate: int) -> int:
    """The bit rate libmp3lame encodes at when asked for `kbps` at `rate`: the nearest one
    MPEG audio has at that rate (ties to the lower), at most 64 kbit/s below 16 kHz (measured:
    LAME turns 128 into 64 at 8, 11.025 and 12 kHz)."""
    mpeg1 = rate >= 32000
    table = [k for k in (_KBPS_V1 if mpeg1 else _KBPS_V2)[1:] if rate >= 16000 or k <= 64]
    return min(table, key=lambda k: (abs(k - kbps), k))


def crc16(data: bytes) -> int:
    """CRC-16/ARC (polynomial 0x8005, reflected), the LAME tag's checksum."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def mp3_header_frame_length(head: bytes) -> int | None:
    """Length of the first MP3 frame if it is a Xing/Info header (no audio), else None.

    A stream without that frame is still valid MP3: it is what can be sent before the muxer
    has rewritten the header with the final counts.
    """
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version = (head[1] >> 3) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    bitrate_index, rate_index = head[2] >> 4, (head[2] >> 2) & 3
    if version == 1 or (head[1] >> 1) & 3 != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or not layer III
    mpeg1 = version == 3
    kbps = (_KBPS_V1 if mpeg1 else _KBPS_V2)[bitrate_index]
    rate = (44100, 48000, 32000)[rate_index] >> (0 if mpeg1 else 1 if version == 2 else 2)
    length = (144 if mpeg1 else 72) * kbps * 1000 // rate + ((head[2] >> 1) & 1)
    mono = head[3] >> 6 == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    tag = head[4 + side : 8 + side]
    return length if tag in (b"Xing", b"Info") else None
