// The transcript beside the player. Built once as plain DOM (not virtual DOM): a 3-hour
// episode has ~30,000 words, and re-diffing them on every frame would stutter. Paragraph
// groups use `content-visibility: auto`, so the browser lays out only what is on screen.
// Following playback touches two elements a frame: the word that stops and the one that starts.
import { effect } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { EpisodeDetail } from "../api/types";
import { clip, enterClipMode, setSpan } from "../clip/state";
import { clock } from "../lib/time";
import { audio, episode, load, play, time } from "../player/state";
import { Icon } from "../ui/icons";
import { indexAt, type Transcript } from "./model";

const SENTENCES_PER_PARAGRAPH = 4;
const PARAGRAPHS_PER_GROUP = 12;
const USER_SCROLL_PAUSE_MS = 6000;

interface Selected { first: number; last: number }

export function TranscriptView({ ep, transcript }: { ep: EpisodeDetail; transcript: Transcript }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const elements = useRef<HTMLElement[]>([]);
  const [following, setFollowing] = useState(true);
  const [selected, setSelected] = useState<Selected | null>(null);
  const followRef = useRef(true);
  followRef.current = following;
  const [cursor, setCursor] = useState(-1);

  useEffect(() => {
    elements.current = build(box.current!, transcript);
  }, [transcript]);

  // highlight the word being said, and keep it in view unless the listener is reading elsewhere
  useEffect(() => {
    let current = -1;
    return effect(() => {
      const t = time.value;
      const mine = episode.value?.id === ep.id;
      const words = transcript.words;
      let i = mine ? indexAt(words, t) : -1;
      if (i >= 0 && t > words[i].end + 1.5) i = -1; // a long pause: nothing is being said
      if (i === current) return;
      elements.current[current]?.classList.remove("now");
      current = i;
      const el = elements.current[i];
      if (!el) return;
      el.classList.add("now");
      if (followRef.current && !audio.paused) scrollIntoBox(box.current!, el);
    });
  }, [transcript, ep.id]);

  // the span being clipped, shaded in the text
  useEffect(() => {
    let shaded: HTMLElement[] = [];
    return effect(() => {
      const c = clip.value;
      for (const el of shaded) el.classList.remove("in-clip");
      shaded = [];
      if (!c || c.episodeId !== ep.id) return;
      const from = Math.max(0, indexAt(transcript.words, c.start));
      for (let i = from; i < transcript.words.length && transcript.words[i].start < c.end; i++) {
        const w = transcript.words[i];
        if (w.end > c.start && elements.current[i]) shaded.push(elements.current[i]);
      }
      for (const el of shaded) el.classList.add("in-clip");
    });
  }, [transcript, ep.id]);

  const pauseFollowing = () => {
    if (!followRef.current) return;
    setFollowing(false);
  };
  useEffect(() => {
    if (following) return;
    const timer = setTimeout(() => setFollowing(true), USER_SCROLL_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [following]);

  const seekTo = (seconds: number) => {
    if (episode.value?.id !== ep.id) load(ep, { at: seconds, play: true });
    else {
      audio.currentTime = seconds;
      time.value = seconds;
      if (audio.paused && !clip.value) void play();
    }
    setFollowing(true);
  };

  const onClick = (e: MouseEvent) => {
    const sel = getSelection();
    if (sel && !sel.isCollapsed) return; // the end of a text selection, not a tap
    const target = (e.target as HTMLElement).closest<HTMLElement>("[data-i]");
    if (target) seekTo(transcript.words[Number(target.dataset.i)].start);
  };

  // selecting words sets the clip's span (or offers to, outside clip mode)
  const onSelectionDone = () => {
    const range = selectedWords(box.current!);
    setSelected(range);
    if (range && clip.value?.episodeId === ep.id) applySelection(range);
  };
  const applySelection = (range: Selected) => {
    const a = transcript.words[range.first];
    const b = transcript.words[range.last];
    if (clip.value?.episodeId === ep.id) setSpan(a.start, b.end);
    else void enterClipMode(ep, { start: a.start, end: b.end });
  };

  // keyboard: one tab stop; arrows move through sentences, Enter plays from one
  const onKeyDown = (e: KeyboardEvent) => {
    const sentences = transcript.sentences;
    let next = cursor;
    if (e.key === "ArrowDown") next = Math.min(sentences.length - 1, cursor + 1);
    else if (e.key === "ArrowUp") next = Math.max(0, cursor - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = sentences.length - 1;
    else if (e.key === "Enter" && cursor >= 0) {
      e.preventDefault();
      seekTo(sentences[cursor].start);
      return;
    } else return;
    e.preventDefault();
    if (cursor < 0 && e.key === "ArrowDown") {
      const at = indexAt(sentences, audio.currentTime);
      next = Math.max(0, at);
    }
    setCursor(next);
    pauseFollowing();
    const s = sentences[next];
    const el = elements.current[s.first]?.parentElement;
    if (el) scrollIntoBox(box.current!, el);
  };
  useEffect(() => {
    box.current?.querySelector(".cursor")?.classList.remove("cursor");
    const s = transcript.sentences[cursor];
    const el = s ? elements.current[s.first]?.parentElement : null;
    el?.classList.add("cursor");
  }, [cursor, transcript]);

  const activeId = cursor >= 0 ? `s-${ep.id}-${cursor}` : undefined;
  return (
    <div class="transcript-wrap">
      <div class="transcript-tools">
        {selected ? (
          <button class="small" data-testid="clip-selection" onClick={() => applySelection(selected)}>
            <Icon name="scissors" size={16} /> Clip selected words ({clock(transcript.words[selected.first].start)}–{clock(transcript.words[selected.last].end)})
          </button>
        ) : <span class="muted small-text">{transcript.timedWords ? "Tap a word to play from it; select words to clip them." : "Tap a line to play from it."}</span>}
        {!following && (
          <button class="small secondary" onClick={() => setFollowing(true)}>Follow playback</button>
        )}
      </div>
      <div class="transcript" ref={box} tabIndex={0} role="listbox" aria-label="Transcript: arrow keys move between sentences, Enter plays from one"
        aria-activedescendant={activeId} data-episode={ep.id}
        onWheel={pauseFollowing} onTouchMove={pauseFollowing}
        onPointerDown={(e) => e.target === box.current && pauseFollowing()}
        onClick={onClick} onMouseUp={onSelectionDone} onTouchEnd={onSelectionDone}
        onKeyUp={(e) => e.shiftKey && onSelectionDone()} onKeyDown={onKeyDown} />
    </div>
  );
}

function build(box: HTMLElement, t: Transcript): HTMLElement[] {
  box.textContent = "";
  const elements: HTMLElement[] = new Array(t.words.length);
  const root = document.createDocumentFragment();
  const epId = box.dataset.episode;
  let group: HTMLElement | null = null;
  let para: HTMLElement | null = null;
  let paraCount = 0;
  t.sentences.forEach((s, si) => {
    const speakerChange = si > 0 && t.words[s.first].speaker !== t.words[t.sentences[si - 1].first].speaker;
    if (!para || si % SENTENCES_PER_PARAGRAPH === 0 || speakerChange) {
      if (!group || paraCount % PARAGRAPHS_PER_GROUP === 0) {
        group = document.createElement("div");
        group.className = "t-group";
        root.append(group);
      }
      para = document.createElement("p");
      para.className = "t-para";
      const stamp = document.createElement("span");
      stamp.className = "t-time";
      stamp.dataset.i = String(s.first);
      stamp.textContent = clock(s.start);
      stamp.setAttribute("aria-hidden", "true");
      para.append(stamp);
      const speaker = t.words[s.first].speaker;
      if (speaker) {
        const who = document.createElement("span");
        who.className = "t-speaker";
        who.textContent = speaker;
        para.append(who);
      }
      group.append(para);
      paraCount++;
    }
    const sentence = document.createElement("span");
    sentence.className = "t-sentence";
    sentence.id = `s-${epId}-${si}`;
    sentence.setAttribute("role", "option");
    for (let i = s.first; i <= s.last; i++) {
      const w = document.createElement("span");
      w.className = "w";
      w.dataset.i = String(i);
      w.textContent = t.words[i].text;
      elements[i] = w;
      sentence.append(w, " ");
    }
    para.append(sentence);
  });
  box.append(root);
  return elements;
}

function selectedWords(box: HTMLElement): Selected | null {
  const sel = getSelection();
  if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
  const range = sel.getRangeAt(0);
  if (!box.contains(range.commonAncestorContainer)) return null;
  const edge = (node: Node, fromEnd: boolean): number | null => {
    const el = (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement) as HTMLElement | null;
    const word = el?.closest<HTMLElement>(".w");
    if (word) return Number(word.dataset.i);
    // the selection ends in the space between words or on a timestamp: take the nearest word
    const words = Array.from(box.querySelectorAll<HTMLElement>(".w")).filter((w) => range.intersectsNode(w));
    if (!words.length) return null;
    return Number((fromEnd ? words[words.length - 1] : words[0]).dataset.i);
  };
  const a = edge(range.startContainer, false);
  const b = edge(range.endContainer, true);
  if (a === null || b === null) return null;
  return { first: Math.min(a, b), last: Math.max(a, b) };
}

function scrollIntoBox(box: HTMLElement, el: HTMLElement): void {
  const boxRect = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  const top = r.top - boxRect.top;
  if (top < boxRect.height * 0.15 || top > boxRect.height * 0.7) {
    box.scrollTo({ top: box.scrollTop + top - boxRect.height * 0.3, behavior: "smooth" });
  }
}
