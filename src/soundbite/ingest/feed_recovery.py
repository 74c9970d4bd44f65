"""Reading a feed that is not well-formed XML, as podcast apps do, and saying what it cost.

`feeds.parse_feed` parses strictly first; only a document that fails to parse comes here. Real
feeds break in a handful of ways, each repaired the way a listener would expect:

- bytes that are not valid in the declared encoding (UTF-8 when none is declared): a feed that
  is UTF-8 except for one pasted Windows-1252 string is common, so only the bad bytes are read
  as Windows-1252 (the rest keeps its encoding, rather than turning every accent into mojibake);
- HTML entities that XML does not define (`&nbsp;`, `&eacute;`) become their characters, and
  a name that is no entity at all (a misspelling) is left out and reported;
- HTML written unescaped into an RSS description (or content:encoded, itunes:summary) is read
  as the HTML text it was meant to be, as if in CDATA: libxml2's recovery would otherwise let
  one unclosed `<p>` or `<br>` swallow the rest of the feed; elsewhere a bare `&` is read as
  text, and HTML void elements (`<br>`, `<img …>`) are closed;
- what is left (mismatched or stray tags) goes to libxml2's recovering parser, and an item
  found nested inside another item is moved back out beside it;
- a truncated file keeps the items that end before the cut; the item the cut falls in is
  skipped, since its fields may be missing or half-written.

The repaired tree is serialised back to well-formed UTF-8 and read by the same strict SAX path,
so every feed, clean or repaired, goes through one set of podcastparser rules.

Safety holds on this path too: lxml parses with resolve_entities=False, no_network=True,
load_dtd=False and huge_tree=False (libxml2's limits: 256 levels deep, 10 MB per text node), so
no entity is ever expanded and nothing is fetched; a document that declares entities is refused,
as on the strict path. The document is already under the feed size cap when it reaches us.
"""

from __future__ import annotations

import bisect
import codecs
import html.entities
import re
import threading
from dataclasses import dataclass

from lxml import etree

from soundbite.errors import FeedError

ENTITY_DECLARATIONS = (
    "the feed declares XML entities, which we never expand (they are used for "
    "billion-laughs and external-entity attacks)"
)
# one feed with a broken template can produce thousands of identical errors
MAX_REASONS_PER_ITEM = 3
MAX_PROBLEMS = 50
MAX_LABEL = 160  # characters of an item's title shown with its problems


@dataclass(frozen=True)
class FeedProblem:
    """Something in a feed we had to repair or skip. `item` names the item (its title, else its
    guid, else its position) when the problem lies inside one; None means the feed as a whole."""

    item: str | None
    reason: str

    def to_json(self) -> dict[str, str | None]:
        return {"item": self.item, "reason": self.reason}


@dataclass(frozen=True)
class Recovered:
    document: bytes  # well-formed UTF-8 XML
    problems: list[FeedProblem]
    items: int  # items the repaired document holds, to count those the reader drops


_DECLARED_ENCODING = re.compile(rb"""\A<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z][\w.:-]*)["']""")
_BARE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z_][\w.-]*;)")
_VOID_ELEMENT = re.compile(r"<(br|hr|img|wbr|input|meta|source|embed)\b([^<>]*?)(?<!/)>", re.I)

# RSS fields that hold HTML; written unescaped, one unclosed <p> swallows the rest of the feed.
_HTML_FIELD = re.compile(r"<(description|content:encoded|itunes:summary)\b[^<>]*(?<!/)>", re.I)

_fallback_offsets = threading.local()


def _read_bad_bytes_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _fallback_offsets.found.append(exc.start)
    return exc.object[exc.start : exc.end].decode("cp1252", "replace"), exc.end


codecs.register_error("soundbite-cp1252", _read_bad_bytes_as_cp1252)


def recover(data: bytes, strict_error: str, line_offset: int) -> Recovered:
    """Repair `data` (already trimmed by `feeds._prepare`) or raise FeedError(strict_error).

    `line_offset` is how many lines were trimmed from the top, so that reported line numbers
    match the file the publisher serves."""
    problems: list[_Located] = [_Located(None, f"{strict_error}; the feed was read leniently")]
    text = _repair_markup(_quote_html_fields(_decode(data, problems)))
    parser = etree.XMLParser(
        encoding="utf-8",
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    root = etree.fromstring(text.encode("utf-8"), parser)
    if root is None:
        raise FeedError(strict_error)
    internal_dtd = root.getroottree().docinfo.internalDTD
    if internal_dtd is not None and list(internal_dtd.iterentities()):
        raise FeedError(ENTITY_DECLARATIONS)
    _hoist_nested_items(root, problems)
    _replace_entity_references(root, problems)
    cut = not _ends_with_root_tag(text)
    last_line = text.count("\n") + 1
    problems.extend(
        _Located(e.line, f"malformed markup at line {e.line + line_offset}: {e.message.strip()}")
        for e in parser.error_log
        # at a cut, every open tag is reported unclosed: the cut says it better
        if _reportable(e) and not (cut and e.line >= last_line)
    )
    if cut:
        _skip_item_cut_off(root, text, problems)
    items = _items(root)
    document = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return Recovered(document, _attribute(problems, items), len(items))


@dataclass(frozen=True)
class _Located:
    line: int | None  # in the repaired text; None for the feed as a whole
    reason: str
    item: etree._Element | str | None = None  # when known to belong to an item


def _decode(data: bytes, problems: list[_Located]) -> str:
    """Text in the declared encoding, else UTF-8; bytes invalid in it are read as cp1252."""
    match = _DECLARED_ENCODING.match(data)
    declared = match.group(1).decode("ascii") if match else None
    codec = "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    elif declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            problems.append(_Located(None, f'the declared encoding "{declared}" is unknown'))
    for candidate in dict.fromkeys([codec, "utf-8"]):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    _fallback_offsets.found = []
    text = data.decode(codec, "soundbite-cp1252")
    lines, line, counted = [], 1, 0
    for offset in _fallback_offsets.found:
        line += data.count(b"\n", counted, offset)
        lines.append(line)
        counted = offset
    name = "UTF-8" if codec == "utf-8" else declared or codec
    reason = f"text that is not valid {name} was read as Windows-1252"
    problems.extend(_Located(line, reason) for line in dict.fromkeys(lines))
    return text


def _quote_html_fields(text: str) -> str:
    """Put the HTML written unescaped in an HTML-bearing field in CDATA, as it was meant.

    Every search starts past the previous one or is remembered as failed, so the work stays
    linear in the size of the feed whatever its tags (a regex with `.*?` up to the closing tag
    would rescan the rest of the file for each unclosed field)."""
    parts: list[str] = []
    done = 0  # text before this is in `parts`
    searched = 0  # a field opened before this lies inside one already read
    unclosed: set[str] = set()
    for match in _HTML_FIELD.finditer(text):
        name = match.group(1).lower()
        if match.start() < searched or name in unclosed:
            continue
        close = re.compile(rf"</{re.escape(match.group(1))}\s*>", re.I).search(text, match.end())
        if close is None:
            unclosed.add(name)
            continue
        searched = close.end()
        inner = text[match.end() : close.start()]
        if "<" in inner and "<![CDATA[" not in inner:
            quoted = inner.replace("]]>", "]]]]><![CDATA[>")
            parts += [text[done : match.end()], f"<![CDATA[{quoted}]]>"]
            done = close.start()
    return "".join([*parts, text[done:]])


def _repair_markup(text: str) -> str:
    """Escape bare ampersands and close HTML void elements, outside CDATA and comments (which
    hold text as it is). One pass with str.find: linear, even when a section never ends."""
    parts: list[str] = []
    pos = 0
    next_open = {opener: text.find(opener) for opener, _ in _LITERALS}
    while True:
        for opener, at in next_open.items():
            if -1 < at < pos:  # inside the section just passed: look again from here
                next_open[opener] = text.find(opener, pos)
        starts = [(at, dict(_LITERALS)[opener]) for opener, at in next_open.items() if at != -1]
        if not starts:
            break
        start, terminator = min(starts)
        stop = text.find(terminator, start)
        stop = len(text) if stop == -1 else stop + len(terminator)
        parts += [_repair_tags(text[pos:start]), text[start:stop]]
        pos = stop
    return "".join([*parts, _repair_tags(text[pos:])])


_LITERALS = (("<![CDATA[", "]]>"), ("<!--", "-->"))


def _repair_tags(text: str) -> str:
    text = _BARE_AMPERSAND.sub("&amp;", text)
    return _VOID_ELEMENT.sub(r"<\1\2/>", text)


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2].rpartition(":")[2] if isinstance(tag, str) else ""


def _items(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if _local(e) in ("item", "entry")]


def _hoist_nested_items(root: etree._Element, problems: list[_Located]) -> None:
    """An unclosed tag in one item makes libxml2 nest the following items inside it."""
    for item in _items(root):
        holders = [a for a in item.iterancestors() if _local(a) in ("item", "entry")]
        if not holders:
            continue
        outer = holders[-1]
        reason = "an unclosed tag ran into the items after it; they were read apart"
        problems.append(_Located(None, reason, outer))
        tail, item.tail = item.tail, None
        _drop(item, tail)
        outer.addnext(item)


def _drop(node: etree._Element, replacement: str | None) -> None:
    """Remove `node`, keeping its tail (and `replacement`) as text where it stood."""
    text = (replacement or "") + (node.tail or "")
    previous, parent = node.getprevious(), node.getparent()
    if parent is None:
        return
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(node)


def _replace_entity_references(root: etree._Element, problems: list[_Located]) -> None:
    for node in list(root.iter(etree.Entity)):
        name = node.name
        char = html.entities.html5.get(f"{name};")
        if char is None:
            item = next((a for a in node.iterancestors() if _local(a) in ("item", "entry")), None)
            problems.append(_Located(None, f"unknown entity &{name}; left out", item))
        _drop(node, char)


def _reportable(error: etree._LogEntry) -> bool:
    # Undeclared prefixes (itunes:, podcast:) are the norm and podcastparser maps them; unknown
    # entities are reported by _replace_entity_references, with their names.
    return error.domain_name != "NAMESPACE" and error.type_name != "ERR_UNDECLARED_ENTITY"


_ROOT_END = re.compile(r"</\s*(?:[\w.-]+:)?(rss|feed|RDF)\s*>\Z")


def _ends_with_root_tag(text: str) -> bool:
    end = text.rstrip()
    while end.endswith("-->") and (comment := end.rfind("<!--")) != -1:
        end = end[:comment].rstrip()
    return _ROOT_END.search(end[-200:]) is not None


def _skip_item_cut_off(root: etree._Element, text: str, problems: list[_Located]) -> None:
    """A file that stops before its closing tag was cut; the item open at the cut is dropped."""
    problems.append(_Located(None, "the feed is cut off before its end (an incomplete file)"))
    items = _items(root)
    if not items:
        return
    last = items[-1]
    start = _line_start(text, last.sourceline)
    closing = re.compile(rf"</\s*(?:[\w.-]+:)?{_local(last)}\s*>")
    if closing.search(text, start) is None:
        problems.append(
            _Located(None, "the feed ends inside this item, so it was skipped", _label(last, items))
        )
        _drop(last, None)


def _line_start(text: str, line: int | None) -> int:
    offset = 0
    for _ in range((line or 1) - 1):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return len(text)
    return offset


def _label(item: etree._Element, items: list[etree._Element]) -> str:
    for want in ("title", "guid", "id"):
        child = next((c for c in item if _local(c) == want), None)
        if child is not None and (text := " ".join("".join(child.itertext()).split())):
            return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
    return f"item {items.index(item) + 1}"


def _attribute(located: list[_Located], items: list[etree._Element]) -> list[FeedProblem]:
    """Give each problem the item whose lines hold it, and merge duplicates."""
    labels = {item: _label(item, items) for item in items}
    starts = [item.sourceline or 0 for item in items]  # document order: never decreasing
    per_item: dict[str | None, list[str]] = {}
    for problem in located:
        item = problem.item
        if isinstance(item, etree._Element):
            item = labels.get(item) or _label(item, items)
        elif item is None and problem.line is not None:
            item = _item_on_line(problem.line, items, starts, labels)
        reasons = per_item.setdefault(item, [])
        if problem.reason not in reasons:
            reasons.append(problem.reason)
    problems: list[FeedProblem] = []
    for item, reasons in per_item.items():
        shown = reasons if item is None else reasons[:MAX_REASONS_PER_ITEM]
        problems.extend(FeedProblem(item, reason) for reason in shown)
        if len(reasons) > len(shown):
            problems.append(FeedProblem(item, f"and {len(reasons) - len(shown)} more like these"))
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS + 1
        problems = [*problems[: MAX_PROBLEMS - 1], FeedProblem(None, f"and {rest} more problems")]
    return problems


def _item_on_line(
    line: int, items: list[etree._Element], starts: list[int], labels: dict[etree._Element, str]
) -> str | None:
    index = bisect.bisect_right(starts, line) - 1
    if index < 0 or _end_line(items[index]) < line:
        return None
    if index > 0 and starts[index - 1] == starts[index]:
        return None  # a feed written on one line puts every item on it: no item can be named
    return labels[items[index]]


def _end_line(item: etree._Element) -> int:
    """The last line of `item`: the line before whatever follows it in the document."""
    start = item.sourceline or 0
    node: etree._Element | None = item
    while node is not None:
        following = node.getnext()
        if following is not None and following.sourceline:
            return max(start, following.sourceline - 1)
        node = node.getparent()
    return 1 << 30
