"""Speech: transcripts with word timings, and the formats they travel in.

- `model`: which Whisper model, its verified files, one loaded copy per process.
- `transcribe`: the transcribe stage (faster-whisper, VAD, batched decoding).
- `formats`: VTT, SRT, Podcasting 2.0 JSON, HTML and text, in and out.

Nothing is re-exported here on purpose: the web process imports `formats` for every transcript
download, and should not pay for loading faster-whisper and CTranslate2 to do so.
"""
