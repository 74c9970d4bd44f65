from pathlib import Path

import pytest

from soundbite.settings import Settings, settings_markdown

DOCS = Path(__file__).parent.parent / "docs" / "settings.md"


def test_every_setting_is_documented_and_docs_are_current() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
    assert DOCS.read_text() == settings_markdown(), (
        "run: soundbite settings --markdown > docs/settings.md"
    )


def test_defaults_work_offline_on_one_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(__import__("os").environ):
        if var.startswith("SOUNDBITE_"):
            monkeypatch.delenv(var)
    s = Settings()
    assert s.resolved_database_url.startswith("sqlite:///")
    assert s.resolved_database_url.endswith("soundbite-data/soundbite.db")
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.base_url == "http://127.0.0.1:8000"
    assert s.whisper_model == "base" and not s.allow_private_networks


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOUNDBITE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SOUNDBITE_PORT", "9001")
    monkeypatch.setenv("SOUNDBITE_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("SOUNDBITE_FETCH_ALLOW_NETWORKS", '["10.0.0.0/8"]')
    s = Settings()
    assert s.data_dir == tmp_path and s.port == 9001 and s.allow_private_networks
    assert s.fetch_allow_networks == ("10.0.0.0/8",)
    assert s.resolved_storage_dir == (tmp_path / "media").resolve()
