"""The layers hold: the import contracts in pyproject.toml pass (layers, no cycles between
packages, no SQL in the web or CLI), and a web process never loads the speech model's
libraries, which only workers need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_the_web_app_does_not_load_the_speech_model_libraries() -> None:
    code = (
        "import sys, soundbite.web.app, soundbite.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'faster_whisper', 'ctranslate2'}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
