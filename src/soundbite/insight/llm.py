"""Texts written by a language model behind any OpenAI-compatible endpoint (llama.cpp's
server, Ollama, vLLM): chapter titles, the episode summary, highlight reasons and clip titles.

Off unless ``SOUNDBITE_LLM_URL`` is set. Every text it writes has a lexical one made first
(titles.py, summary.py, highlights.py, domain/clips.default_title), and :class:`LLMWriter`
answers None whenever it cannot do better, so the lexical text stands:

- the endpoint refuses the connection, times out, answers an HTTP error, or sends something
  that is not a chat completion: logged, and the writer gives up for the rest of its life
  (one analysis run), so a dead endpoint costs one timeout per episode, not one per chapter;
- the answer is empty, runs over several lines or past the length cap: logged, that text only.

Prompts are small on purpose: a chapter's few key sentences (summary.key_sentences), never the
whole transcript, so a small local model (tests run SmolLM2-135M-Instruct) answers in seconds and
a large one does not fill its context. Output is bounded twice, by ``max_tokens`` in the
request and by reading at most ``MAX_RESPONSE_BYTES`` of the answer within the time limit.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from soundbite.insight.keywords import MAX_TITLE
from soundbite.insight.summary import MAX_SUMMARY, SummaryRequest
from soundbite.insight.titles import TitleRequest
from soundbite.insight.writing import MAX_CLIP_TITLE, MAX_REASON, ReasonRequest
from soundbite.settings import Settings, check_llm_url

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 64 * 1024
_PROMPT_CHARS = 1500  # of quoted speech per prompt: a few sentences, not a transcript
# "The title: …" and "- …" (a list item) are how SmolLM2-135M often answered (tests/test_llm.py)
_LABEL = re.compile(
    r"^(?:(?:the |a )?(?:chapter |clip |episode )?(?:title|summary|reason)\s*[:\-–—]\s*)", re.I
)
_BULLET = re.compile(r"^(?:[-–•]|\d{1,2}[.)])\s+")
_MARKUP = re.compile(r"[*_#`]+|<[^>]{1,40}>")
_QUOTES = "\"'“”‘’«»"


@dataclass(frozen=True, slots=True)
class LLMOptions:
    url: str  # base URL of the API, ending in /v1
    model: str = "default"
    api_key: str | None = None
    timeout_s: float = 20.0


def llm_options(settings: Settings) -> LLMOptions | None:
    """The endpoint the settings name, or None when none is configured (the default)."""
    if not settings.llm_url:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LLMOptions(settings.llm_url, settings.llm_model, key, settings.llm_timeout_seconds)


class LLMWriter:
    """A writing.Writer backed by an endpoint; also writes clip titles.

    >>> writer = LLMWriter(LLMOptions("http://127.0.0.1:8080/v1"))
    >>> writer.clip_title("... the clip's words ...")   # a title, or None: use the lexical one
    """

    def __init__(self, options: LLMOptions, transport: httpx.BaseTransport | None = None) -> None:
        self.options = options
        self.url = check_llm_url(options.url) + "/chat/completions"
        self.down = False  # set at the first failure to answer: no more calls
        self.calls = 0
        self.seconds = 0.0  # spent waiting on the endpoint, for the log and bench
        headers = {"Authorization": f"Bearer {options.api_key}"} if options.api_key else {}
        # trust_env off: the endpoint is exactly the URL configured, never through a proxy
        # from the environment; redirects are not followed for the same reason
        self.client = httpx.Client(
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(options.timeout_s, connect=min(options.timeout_s, 5.0)),
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> LLMWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- what it writes -------------------------------------------------------------------

    def title(self, request: TitleRequest) -> str | None:
        said = _quoted(request.key or (request.text,))
        prompt = (
            f"Key sentences from one chapter of a podcast episode:\n{said}\n\n"
            "Write a title for this chapter in at most six words. Answer with the title only."
        )
        return _line(self.complete("You name podcast chapters.", prompt, 24), MAX_TITLE)

    def summary(self, request: SummaryRequest) -> str | None:
        budget = _PROMPT_CHARS // max(len(request.chapters), 1)
        parts = [
            f"{n}. {title}: {_cut(' '.join(said), budget)}"
            for n, (title, said) in enumerate(request.chapters, 1)
        ]
        prompt = (
            "The chapters of a podcast episode, each with what was said in it:\n"
            + "\n".join(parts)
            + "\n\nSummarize the episode in one paragraph of two or three sentences. "
            "Answer with the paragraph only."
        )
        return _paragraph(self.complete("You summarize podcast episodes.", prompt, 160))

    def reason(self, request: ReasonRequest) -> str | None:
        prompt = (
            f"A moment from a podcast:\n{_quoted((request.text,))}\n\n"
            "In at most ten words, say why this moment is worth sharing as a clip. "
            "Answer with the reason only."
        )
        return _line(self.complete("You pick podcast moments to share.", prompt, 32), MAX_REASON)

    def clip_title(self, text: str) -> str | None:
        prompt = (
            f"The words of a podcast clip:\n{_quoted((text,))}\n\n"
            "Write a title for this clip in at most eight words. Answer with the title only."
        )
        return _line(self.complete("You title podcast clips.", prompt, 32), MAX_CLIP_TITLE)

    # --- the endpoint ---------------------------------------------------------------------

    def complete(self, system: str, prompt: str, max_tokens: int) -> str | None:
        """The model's answer, or None (logged) if the endpoint gave none."""
        if self.down:
            return None
        body = {
            "model": self.options.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": prompt},
            ],
            "max_tokens": max_tokens,
            "temperature": 0.2,
            "stream": False,
        }
        started = time.monotonic()
        self.calls += 1
        try:
            answer = self._post(body, started + self.options.timeout_s)
        except (httpx.HTTPError, TimeoutError, ValueError) as exc:
            self.down = True
            log.warning(
                "the LLM endpoint %s gave no answer (%s: %s); writing from the transcript "
                "instead for the rest of this run",
                self.url,
                type(exc).__name__,
                exc,
            )
            return None
        finally:
            self.seconds += time.monotonic() - started
        return answer

    def _post(self, body: dict[str, Any], deadline: float) -> str:
        with self.client.stream("POST", self.url, json=body) as response:
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}")
            raw = bytearray()
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) > MAX_RESPONSE_BYTES:
                    raise ValueError(f"an answer over {MAX_RESPONSE_BYTES} bytes")
                if time.monotonic() > deadline:  # a server trickling bytes within each read
                    raise TimeoutError(f"no whole answer in {self.options.timeout_s:g} s")
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, LookupError, TypeError) as exc:
            raise ValueError(f"not a chat completion: {bytes(raw[:80])!r}") from exc
        if not isinstance(content, str):
            raise ValueError("not a chat completion: no text content")
        return content


def _quoted(said: tuple[str, ...] | list[str]) -> str:
    return "\n".join(f"- {_cut(s, _PROMPT_CHARS // max(len(said), 1))}" for s in said)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _clean(text: str) -> str:
    text = _MARKUP.sub("", text)
    text = _LABEL.sub("", _BULLET.sub("", text.strip()))
    return " ".join(text.split()).strip(_QUOTES + " ").strip()


def _line(answer: str | None, limit: int) -> str | None:
    """One line of at most `limit` characters, without quotes, markup or a "Title:" label;
    None if the model answered nothing usable (logged)."""
    if answer is None:
        return None
    lines = [line for line in (_clean(x) for x in answer.splitlines()) if line]
    # "Here is a title:" on a line of its own announces the answer; anything more is not one
    said = [line for line in lines if not line.endswith(":")]
    text = said[0].rstrip(".") if len(said) == 1 else ""
    if not text or len(text) > limit:
        log.info("the LLM's answer is unusable as one line of %d characters: %r", limit, answer)
        return None
    return text[:1].upper() + text[1:]


def _paragraph(answer: str | None) -> str | None:
    """The answer as one paragraph within MAX_SUMMARY characters, cut after its last whole
    sentence if it runs over; None if nothing usable is left (logged)."""
    if answer is None:
        return None
    text = _clean(" ".join(answer.split()))
    if len(text) > MAX_SUMMARY:
        cut = text[:MAX_SUMMARY]
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        text = cut[: end + 1] if end > 0 else ""
    if len(text) < 20:
        log.info("the LLM's summary is unusable: %r", answer)
        return None
    return text
