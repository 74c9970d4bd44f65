"""Reading a sentence the way an editor does: is it a fragment, a run of figures, a story; which
of a clip's sentences is the one to quote; and how to quote it.

Word lists, not a tagger: the default install has no language model, and the questions are
narrow. A sentence "has a verb" when it holds an auxiliary, a modal, one of the commonest
verbs of speech, or a word ending in -ed/-ing/-n't; figures are digits and number words
(auto-captions spell "twenty five"). Good enough to refuse "forty two fifty three sixty" and
"the whole the whole kind of", which is what they are for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from soundbite.insight.sentences import Sentence
from soundbite.insight.stopwords import DANGLING_OPENERS
from soundbite.insight.text import tokens

_NUMBERS_WORDS = """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
ninety hundred thousand million billion percent point
"""
_NUMBERS = frozenset(_NUMBERS_WORDS.split())
_VERBS_WORDS = """
is are was were be been being am isn aren wasn weren have has had do does did don doesn didn
can could will would shall should may might must won wouldn couldn shouldn get got gets go
goes went gone make made makes take took takes know knew think thought say said says see saw
seen want wanted need needs come came give gave find found tell told feel felt try tried use
let means mean look looks keep kept start started work works call called become became leave
left put bring brought begin began show showed hear heard believe believed ask asked happen
happened change changed love loved like liked live lived help helped s m re ve ll d
"""
_VERBS = frozenset(_VERBS_WORDS.split())
# a sentence that opens on one of these leans on the one before it
_LEANING_WORDS = """
and but or because which nor plus whereas cause than
"""
_LEANING = frozenset(_LEANING_WORDS.split())
# a clip that stops on one of these stops mid-sentence
_FUNCTION_WORDS = """
the a an of to and but or with for from by my your his her their our because if than into
very i
"""
_FUNCTION = frozenset(_FUNCTION_WORDS.split())
_FILLERS = ("so", "and", "but", "yeah", "well", "okay", "ok", "oh", "um", "uh", "like", "right")
_FILLER_PAIRS = ("you know", "i mean", "of course")
_STORY = re.compile(
    r"\b(i|we|he|she|they) (was|were|had|went|got|said|told|remember|decided|ended|came"
    r"|saw|met|found|started|tried|took|lost|moved|grew|left|asked|called|realized|thought"
    r"|\w+ed)\b|\b(years ago|one day|when i was|at the time|back then|i remember)\b"
)


def words_of(text: str) -> list[str]:
    return tokens(text.replace("\u2019", "'"))


def number_words(text: str) -> int:
    return sum(t.isdigit() or t in _NUMBERS for t in words_of(text))


def has_verb(text: str) -> bool:
    return any(t in _VERBS or (len(t) > 4 and t.endswith(("ed", "ing"))) for t in words_of(text))


def verb_share(text: str) -> float:
    """1 for a sentence with a verb, 0 for a fragment ("Right." "The whole the whole thing.")."""
    return 1.0 if has_verb(text) else 0.0


def shareable_start(text: str, strict: bool = False) -> bool:
    """A clip may start on this sentence: it does not lean on the one before. `strict` also
    refuses openings that usually refer back ("it", "that", "then"; "so" is let through:
    it opens answers)."""
    first = words_of(text)[:1]
    if not first or first[0] in _LEANING:
        return False
    return not strict or first[0] == "so" or first[0] not in DANGLING_OPENERS


def quotations_open(texts: Iterable[str], longest: int = 12) -> list[bool]:
    """Before each sentence, and after the last, whether a quotation is running: opened (“ or
    an odd ") and not yet closed. A quotation still open after `longest` sentences is taken
    for a stray mark, not a speech, and forgotten; a stray closing mark never goes below 0."""
    open_ = [False]
    depth, since = 0, 0
    for text in texts:
        curly = text.count("\u201c") - text.count("\u201d")
        straight = text.count('"') % 2 * (-1 if depth > 0 and not curly else 1)
        depth = max(depth + curly + straight, 0)
        since = since + 1 if depth else 0
        if since > longest:
            depth, since = 0, 0
        open_.append(depth > 0)
    return open_


def trailing_function_word(text: str) -> bool:
    """The sentence stops on "the", "of", "and": cut off, not finished."""
    last = words_of(text)[-1:]
    return bool(last) and last[0] in _FUNCTION


def is_story(text: str) -> bool:
    return bool(_STORY.search(text.lower()))


def story_sentence(span: Sequence[Sentence]) -> Sentence | None:
    """The sentence that opens a story, when at least two of the span's sentences narrate."""
    told = [s for s in span if is_story(s.text) and s.n_words >= 6]
    return told[0] if len(told) >= 2 else None


def key_sentence(span: Sequence[Sentence]) -> Sentence:
    """The sentence to quote: a whole statement of quotable length, with the most content
    words that the span repeats (what it is about), ahead of asides and back-channels."""
    counts: dict[str, int] = {}
    for s in span:
        for term in set(s.terms):
            counts[term] = counts.get(term, 0) + 1

    def worth(s: Sentence) -> float:
        fits = 1.0 if 8 <= s.n_words <= 30 else 0.4 if s.n_words >= 5 else 0.0
        shared = sum(counts[t] > 1 for t in set(s.terms))
        return fits * (1 + len(set(s.terms)) + 2 * shared) * (0.5 + verb_share(s.text))

    return max(span, key=worth)


def quote(text: str, limit: int = 90, marks: bool = True) -> str:
    """The sentence's own words, its opening fillers dropped ("So, you know, the…"), shortened
    at a word boundary; in quotation marks unless `marks` is False (a title)."""
    words = text.split()
    while words:
        head = " ".join(words[:2]).lower().strip(",.")
        if head.rstrip(",") in _FILLER_PAIRS and len(words) > 4:
            words = words[2:]
        elif words[0].lower().strip(",.") in _FILLERS and len(words) > 4:
            words = words[1:]
        else:
            break
    out = " ".join(words)
    out = out[:1].upper() + out[1:]
    if len(out) > limit:
        out = out[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return f"\u201c{out}\u201d" if marks else out
