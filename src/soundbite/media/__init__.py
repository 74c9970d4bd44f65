"""Media: probe uploads, draw waveform peaks, pull audio out of video.

PyAV (in-process) reads and decodes; the ffmpeg binary (media/ffmpeg.py) writes files.
"""

from soundbite.media.extract import extract_audio, needs_extraction
from soundbite.media.ffmpeg import find_ffmpeg, run_ffmpeg
from soundbite.media.peaks import (
    compute_peaks,
    downsample,
    peaks_from_dat,
    peaks_to_dat,
    peaks_to_json,
)
from soundbite.media.probe import probe

__all__ = [
    "compute_peaks",
    "downsample",
    "extract_audio",
    "find_ffmpeg",
    "needs_extraction",
    "peaks_from_dat",
    "peaks_to_dat",
    "peaks_to_json",
    "probe",
    "run_ffmpeg",
]
