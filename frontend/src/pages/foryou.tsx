// "For you": a vertical feed of clips, suggested highlights and episodes picked for this
// listener, each with the one-line reason it is here (linked to the signal behind it). Tap to
// hear it in place, arrow keys or a swipe for the next, one tap to open the episode at that
// second. The listener picks a time budget, and can turn personalisation off or pause history.
import type { JSX } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { get, put, session, signInUrl } from "../api/client";
import type { ForYouFeed, ForYouItem, ForYouPrivacy } from "../api/types";
import {
  current, feedActive, feedItems, feedPlaying, openLink, step, stepping, stopFeed, toggleItem,
} from "../foryou/feed";
import { clock, length } from "../lib/time";
import { attempt, useLoad } from "../ui/hooks";
import { Icon } from "../ui/icons";
import { notify } from "../ui/toast";

const BUDGETS = [10, 20, 45, 90];
const KINDS: Record<ForYouItem["kind"], string> = { clip: "Clip", highlight: "Highlight", episode: "Episode" };

export function ForYouPage(): JSX.Element {
  const [budget, setBudget] = useState(20);
  const hour = new Date().getHours();
  const feed = useLoad((signal) => get<ForYouFeed>(`/api/for-you?budget=${budget}&hour=${hour}`, { signal }), [budget]);
  const signedIn = !!session.value;
  const privacy = useLoad(
    (signal) => (signedIn ? get<ForYouPrivacy>("/api/for-you/privacy", { signal }) : Promise.resolve(null)), [signedIn],
  );
  useEffect(() => {
    feedActive.value = true;
    return () => {
      feedActive.value = false;
      stopFeed();
    };
  }, []);
  const flat = (feed.data?.rows ?? []).flatMap((row) => row.items.map((item) => ({ row: row.title, item })));
  // Every load gets a list element of its own, so a new feed starts at its top. Scrolling the
  // old list back was not enough: scroll snapping re-snaps to the card it last rested on, and
  // that card, kept by its key, may sit far down the new feed.
  const loads = useRef(0);
  const generation = useMemo(() => ++loads.current, [feed.data]);
  useEffect(() => {
    feedItems.value = flat.map((f) => f.item);
    current.value = 0;
  }, [feed.data]);

  const change = (body: Partial<ForYouPrivacy>, message: string) => attempt(async () => {
    await put("/api/for-you/privacy", body);
    notify(message);
    privacy.reload();
    feed.reload();
  });
  const p = privacy.data;
  return (
    <div class="page for-you-page">
      <div class="row page-head">
        <h1>For you</h1>
        <label class="fy-budget">I have
          <select value={budget} onChange={(e) => setBudget(Number(e.currentTarget.value))} aria-label="Time you have">
            {BUDGETS.map((b) => <option key={b} value={b}>{b} minutes</option>)}
          </select>
        </label>
      </div>
      {signedIn && p && (
        <div class="fy-controls" role="group" aria-label="Personalisation">
          <label><input type="checkbox" checked={p.personalised}
            onChange={(e) => void change({ personalised: e.currentTarget.checked },
              e.currentTarget.checked ? "Personalisation on: your feed follows what you do." : "Personalisation off: popular and newest only.")} />
            Personalise my feed</label>
          <label><input type="checkbox" checked={p.history_paused}
            onChange={(e) => void change({ history_paused: e.currentTarget.checked },
              e.currentTarget.checked ? "History paused: nothing new is recorded." : "History on again.")} />
            Pause history</label>
          <a href="/for-you/signals">What shapes my feed</a>
        </div>
      )}
      {!signedIn && <p class="muted"><a href={signInUrl()}>Sign in</a> for a feed of your own; here is what is popular and new.</p>}
      {feed.data && !feed.data.personalised && signedIn && p?.personalised && (
        <p class="muted small-text">Your personal picks appear after the next training run; meanwhile, popular and new.</p>
      )}
      {feed.error && <p class="error" role="alert">{feed.error}</p>}
      {feed.loading && !feed.data && <p class="muted">Loading…</p>}
      {feed.data && !flat.length && <p class="muted">Nothing to suggest yet: add a podcast to the library.</p>}
      {flat.length > 0 && <p class="muted small-text fy-help">Tap to hear · <kbd>↓</kbd>/<kbd>↑</kbd> or swipe for the next · <kbd>O</kbd> opens the episode there · <kbd>?</kbd> all keys</p>}
      <Feed key={generation} entries={flat} />
    </div>
  );
}

function Feed({ entries }: { entries: { row: string; item: ForYouItem }[] }): JSX.Element {
  const list = useRef<HTMLOListElement>(null);
  // a swipe (or a scroll) that snaps another card to the top makes it the current one, and
  // plays it if the feed was playing
  useEffect(() => {
    const root = list.current;
    if (!root) return;
    let frame = 0;
    const settle = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const top = root.getBoundingClientRect().top;
        const cardsNow = Array.from(root.querySelectorAll<HTMLElement>(".fy-card"));
        let best = 0;
        cardsNow.forEach((el, i) => {
          const d = Math.abs(el.getBoundingClientRect().top - top);
          if (d < Math.abs(cardsNow[best].getBoundingClientRect().top - top)) best = i;
        });
        if (best !== current.value && !stepping.value) {
          const wasPlaying = feedPlaying.value;
          current.value = best;
          if (wasPlaying) toggleItem(best);
        }
      });
    };
    root.addEventListener("scroll", settle, { passive: true });
    return () => {
      root.removeEventListener("scroll", settle);
      cancelAnimationFrame(frame);
    };
  }, [entries]);
  return (
    <ol class="fy-feed" ref={list} data-testid="for-you" aria-label="Your feed">
      {entries.map(({ row, item }, i) => <Card key={item.id} index={i} row={row} item={item} />)}
    </ol>
  );
}

function Card({ index, row, item }: { index: number; row: string; item: ForYouItem }): JSX.Element {
  const active = current.value === index;
  const playing = active && feedPlaying.value;
  const at = item.kind === "episode" ? 0 : item.start_ms / 1000;
  const reason = item.reason;
  return (
    <li id={`fy-${index}`} class={`fy-card ${active ? "active" : ""}`} data-index={index} data-kind={item.kind}
      aria-current={active ? "true" : undefined}>
      <div class="fy-eyebrow">{row}</div>
      <button class="fy-play" aria-label={`${playing ? "Pause" : "Play"} ${item.title}`} aria-pressed={playing}
        disabled={!item.audio_url} onClick={() => toggleItem(index)}>
        <Icon name={playing ? "pause" : "play"} size={28} />
      </button>
      <div class="fy-main">
        <div class="fy-title">{item.title}</div>
        <div class="muted small-text">
          <span class="fy-kind">{KINDS[item.kind]}</span> · {item.podcast_title} · {length(item.duration_ms / 1000)}
        </div>
        <p class="fy-reason">
          {reason.link ? <a href={reason.link} title="See (or delete) what this is based on">{reason.text}</a> : reason.text}
        </p>
      </div>
      <a class="button small secondary fy-open" href={openLink(item)}
        aria-label={`Open the episode${at > 0 ? ` at ${clock(at)}` : ""}: ${item.title}`}>
        {at > 0 ? `Open at ${clock(at)}` : "Open episode"}
      </a>
      <div class="fy-nav">
        <button class="icon-button" aria-label="Previous" disabled={index === 0} onClick={() => step(-1)}>↑</button>
        <span class="muted small-text">{index + 1} of {feedItems.value.length}</span>
        <button class="icon-button" aria-label="Next" disabled={index + 1 >= feedItems.value.length} onClick={() => step(1)}>↓</button>
      </div>
    </li>
  );
}
