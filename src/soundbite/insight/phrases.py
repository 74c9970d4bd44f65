"""Noun phrases in what was said: the raw material of chapter titles.

A title a creator writes is a noun phrase ("Drug approval at the FDA"), and runs of content
words cannot tell one from "Enjoy, bailouts". We tag and chunk with TextBlob's English parser
(the Brill-style tagger and chunker of Pattern), whose lexicon ships inside the wheel: it works
offline, needs no model download and parses an hour of speech in well under a second.

A chunk is trimmed to what could head a title: no leading determiners, pronouns or numbers
("the", "my", "two"), nothing after its last noun, and no vague head ("thing", "lot", "way").
"""

from __future__ import annotations

from dataclasses import dataclass

from textblob.en import parse

from soundbite.insight.text import content_terms, is_content, tokens

MAX_WORDS = 4
_NOUN = ("NN", "NNS", "NNP", "NNPS")
_MODIFIER = ("JJ", "JJR", "JJS", "VBG", "VBN", *_NOUN)
# heads that name no subject of their own, however often they are said
_VAGUE_TEXT = """thing things stuff lot lots way ways kind kinds sort sorts bit time times people
    person guy guys folks something anything everything nothing someone anyone everyone everybody
    somebody anybody nobody question questions point points idea fact part parts sense day days
    year years week weeks moment minute minutes hour hours number numbers place places show
    episode today yeah okay percent example case end beginning side level"""
_VAGUE = frozenset(_VAGUE_TEXT.split())


@dataclass(frozen=True, slots=True)
class NounPhrase:
    text: str  # as said, proper nouns and acronyms in their case, other words lower case
    key: tuple[str, ...]  # its content terms (stemmed), for counting and comparing


def noun_phrases(text: str) -> list[NounPhrase]:
    """Every usable noun phrase in `text`, in order of appearance."""
    phrases: list[NounPhrase] = []
    parsed = parse(text, tokenize=True, chunks=True, relations=False, lemmata=False)
    for sentence in parsed.split():  # lists of [word, tag, chunk, relation-or-pnp]
        chunk: list[tuple[str, str]] = []
        for word, tag, iob, *_ in sentence:
            if tag == "POS" and chunk:  # the tokenizer splits "podcast's": join it again
                chunk[-1] = (chunk[-1][0] + word, chunk[-1][1])
                continue
            if iob == "I-NP" and chunk:
                chunk.append((word, tag))
                continue
            _add(phrases, chunk)
            chunk = [(word, tag)] if iob == "B-NP" else []
        _add(phrases, chunk)
    return phrases


def tails(phrase: NounPhrase) -> list[NounPhrase]:
    """The shorter noun phrases a phrase ends with: "custom podcast website" also says
    "podcast website" and "website"."""
    words = phrase.text.split()
    out = []
    for k in range(1, len(words)):
        key = tuple(content_terms(" ".join(words[k:])))
        if key and key != phrase.key:
            out.append(NounPhrase(" ".join(words[k:]), key))
    return out


def _add(phrases: list[NounPhrase], chunk: list[tuple[str, str]]) -> None:
    words = _trim([(w.strip("'\"‘’“”"), t) for w, t in chunk])
    if not words:
        return
    key = tuple(content_terms(" ".join(w for w, _ in words)))
    if key and len(set(key)) == len(key):
        phrases.append(NounPhrase(" ".join(_display(w, t) for w, t in words), key))


def _trim(chunk: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The modifiers and nouns of a chunk up to its last noun, if that noun is a subject."""
    while chunk and chunk[0][1] not in _MODIFIER:
        chunk = chunk[1:]
    last = max((i for i, (_, tag) in enumerate(chunk) if tag in _NOUN), default=-1)
    chunk = chunk[: last + 1]
    if not chunk or len(chunk) > MAX_WORDS:
        return []
    head = tokens(chunk[-1][0])
    if not head or head[-1] in _VAGUE or not all(_plain(w) for w, _ in chunk):
        return []
    return chunk


def _plain(word: str) -> bool:
    """A word a title may hold: letters and digits (with an inner ' or -) that carry meaning,
    so no filler ("um", "like"), or an acronym ("AI")."""
    if not word.replace("'", "").replace("-", "").isalnum():
        return False
    return any(is_content(p) for p in tokens(word)) or (len(word) > 1 and word.isupper())


def _display(word: str, tag: str) -> str:
    if len(word) > 1 and word.isupper():
        return word  # an acronym: FDA, RSS
    return word if tag.startswith("NNP") and word[:1].isupper() else word.lower()
