"""Numbers and names the API refuses at its edge, on both databases.

Each case here was a 500 that schemathesis found (tests/test_api_fuzz.py): an id or a time
wider than 64 bits reached the database driver (OverflowError), a null end_ms reached
arithmetic (TypeError), a form field name outside Latin-1 broke the multipart header parser
(UnicodeEncodeError). Each is now a 4xx whose message says what to change, and the OpenAPI
document states the bound, so a client can know it before sending.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from tests.test_clip_support import add_sonnet
from tests.test_web_support import SPEECH

TOO_WIDE = 2**64  # past what SQLite and PostgreSQL can bind as an integer at all
WIDEST_ID = 2**31 - 1  # ids are INTEGER columns, 32 bits on PostgreSQL


def refusal(r: Any, *loc: str) -> str:
    """The message FastAPI gives for the one field named by `loc`, after checking it is a 422."""
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]
    assert [e["loc"] for e in errors] == [list(loc)], errors
    message: str = errors[0]["msg"]
    return message


@pytest.mark.parametrize(
    "path",
    [
        f"/api/episodes/{TOO_WIDE}",
        f"/api/episodes/{TOO_WIDE}/transcript",
        f"/api/episodes/{TOO_WIDE}/topics",
        f"/api/episodes/{TOO_WIDE}/related?start_ms=0&end_ms=1000",
    ],
)
def test_an_episode_id_wider_than_64_bits_is_refused(client: TestClient, path: str) -> None:
    message = refusal(client.get(path), "path", "episode_id")
    assert message == f"Input should be less than or equal to {WIDEST_ID}"


def test_a_podcast_id_wider_than_64_bits_is_refused(client: TestClient) -> None:
    message = refusal(client.get(f"/api/podcasts/{TOO_WIDE}"), "path", "podcast_id")
    assert message == f"Input should be less than or equal to {WIDEST_ID}"


def test_the_widest_id_is_simply_not_found(client: TestClient) -> None:
    r = client.get(f"/api/episodes/{WIDEST_ID}")
    assert r.status_code == 404 and r.json()["detail"] == f"no episode {WIDEST_ID}"


def test_a_related_span_past_the_bound_is_refused(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    episode_id = add_sonnet(app, owner_id)
    r = client.get(f"/api/episodes/{episode_id}/related?start_ms=0&end_ms={TOO_WIDE}")
    assert refusal(r, "query", "end_ms") == f"Input should be less than or equal to {2**53 - 1}"


def test_a_list_offset_wider_than_64_bits_is_refused(client: TestClient) -> None:
    r = client.get(f"/api/episodes?offset={TOO_WIDE}")
    assert refusal(r, "query", "offset") == f"Input should be less than or equal to {2**63 - 1}"


def test_an_id_past_32_bits_is_refused_on_both_databases(client: TestClient) -> None:
    # PostgreSQL casts the id to its INTEGER column's type and fails past 2**31 - 1
    message = refusal(client.post(f"/api/jobs/{WIDEST_ID + 1}/retry"), "path", "job_id")
    assert message == f"Input should be less than or equal to {WIDEST_ID}"


@pytest.mark.parametrize("field", ["episode_id", "start_ms", "end_ms"])
def test_a_clip_with_a_number_past_its_bound_is_refused(
    app: Soundbite, client: TestClient, owner_id: int, field: str
) -> None:
    body = {"episode_id": add_sonnet(app, owner_id), "start_ms": 3000, "end_ms": 9000}
    body[field] = TOO_WIDE
    message = refusal(client.post("/api/clips", json=body), "body", field)
    assert message.startswith("Input should be less than or equal to ")
    assert client.get("/api/clips", params={"mine": True}).json()["total"] == 0


@pytest.mark.parametrize("field", ["start_ms", "end_ms", "snap", "visibility"])
def test_a_clip_change_to_null_is_refused_and_changes_nothing(
    app: Soundbite, client: TestClient, owner_id: int, field: str
) -> None:
    body = {"episode_id": add_sonnet(app, owner_id), "start_ms": 3000, "end_ms": 9000}
    made = client.post("/api/clips", json=body)
    assert made.status_code == 201, made.text
    clip = made.json()
    r = client.patch(f"/api/clips/{clip['id']}", json={field: None, "title": "Renamed"})
    message = refusal(r, "body", field)
    assert message.startswith("Input should be a valid") or message.startswith("Input should be '")
    assert client.get(f"/api/clips/{clip['id']}").json() == clip


def test_a_null_note_still_clears_the_note(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    body = {"episode_id": add_sonnet(app, owner_id), "start_ms": 3000, "end_ms": 9000}
    clip = client.post("/api/clips", json={**body, "note": "for the show notes"}).json()
    r = client.patch(f"/api/clips/{clip['id']}", json={"note": None})
    assert r.status_code == 200 and r.json()["note"] is None, r.text


def multipart(*parts: tuple[bytes, bytes]) -> tuple[bytes, dict[str, str]]:
    """A multipart body built by hand, so its header bytes are exactly the ones given
    (clients differ in how they encode names; browsers send raw UTF-8)."""
    body = b"".join(
        b"--sb-boundary\r\nContent-Disposition: form-data; "
        + disposition
        + b"\r\n\r\n"
        + data
        + b"\r\n"
        for disposition, data in parts
    )
    headers = {"Content-Type": "multipart/form-data; boundary=sb-boundary"}
    return body + b"--sb-boundary--\r\n", headers


def test_an_upload_field_named_outside_latin_1_is_refused_by_name(client: TestClient) -> None:
    body, headers = multipart(
        ('name="名前"'.encode(), b"a title"),
        (b'name="file"; filename="speech.flac"', SPEECH.read_bytes()),
    )
    r = client.post("/api/episodes", content=body, headers=headers)
    assert r.status_code == 422, r.text
    assert (
        r.json()["detail"]
        == "unexpected form field '名前': send file, title, podcast_id or transcript"
    )


def test_an_upload_named_in_utf_8_keeps_its_name(client: TestClient) -> None:
    body, headers = multipart(
        ('name="file"; filename="Café Zürich – ep 1.flac"'.encode(), SPEECH.read_bytes()),
    )
    r = client.post("/api/episodes", content=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Café Zürich – ep 1"


def test_the_openapi_document_states_the_bounds(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    params = {
        p["name"]: p["schema"]
        for p in doc["paths"]["/api/podcasts/{podcast_id}"]["get"]["parameters"]
    }
    assert params["podcast_id"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": WIDEST_ID,
        "title": "Podcast Id",
    }
    schemas = doc["components"]["schemas"]
    create = schemas["ClipCreate"]["properties"]
    assert create["episode_id"]["maximum"] == WIDEST_ID
    assert create["end_ms"]["maximum"] == 2**53 - 1
    update = schemas["ClipUpdate"]["properties"]
    # optional, but not nullable: leaving it out keeps the clip's end
    assert update["end_ms"]["type"] == "integer" and "default" not in update["end_ms"]
    assert "end_ms" not in schemas["ClipUpdate"].get("required", [])
