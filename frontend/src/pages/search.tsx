// Search every transcript; each hit plays from its words or becomes a clip at once.
import type { JSX } from "preact";
import { get, post } from "../api/client";
import type { Clip, EpisodeDetail, SearchHit, SearchResults } from "../api/types";
import { created } from "../clip/editor";
import { enterClipMode } from "../clip/state";
import { clock } from "../lib/time";
import { load } from "../player/state";
import { navigate, route } from "../router";
import { attempt, useLoad } from "../ui/hooks";
import { Icon } from "../ui/icons";

export function SearchPage(): JSX.Element {
  const q = route.value.query.get("q")?.trim() ?? "";
  const results = useLoad(
    (signal) => (q ? get<SearchResults>(`/api/search?q=${encodeURIComponent(q)}&limit=30`, { signal }) : Promise.resolve(null)),
    [q],
  );
  const data = results.data;
  return (
    <div class="page search-page">
      <h1>{q ? <>Search: <q>{q}</q></> : "Search"}</h1>
      {!q && <p class="muted">Type words in the search box: every word said in every episode can be found and clipped.</p>}
      {results.error && <p class="error" role="alert">{results.error}</p>}
      {results.loading && q && <p class="muted">Searching…</p>}
      {data && (
        <p class="muted" role="status">
          {data.kind === "question"
            ? data.items.length
              ? `Passages that answer it, about: ${data.terms.join(", ")}${data.speakers.length ? `; ${data.speakers.join(", ")} speaking first` : ""}. Play starts at the answering sentence.`
              : "Nothing found."
            : data.total ? `${data.total} moment${data.total === 1 ? "" : "s"}` : "Nothing found."}
          {data.kind !== "question" && data.matched === "any" && data.total ? " (no moment has all the words; showing any)" : ""}
        </p>
      )}
      <ol class="hits">
        {data?.items.map((h, i) => <HitRow key={i} hit={h} />)}
      </ol>
    </div>
  );
}

function HitRow({ hit }: { hit: SearchHit }): JSX.Element {
  const open = async (clipMode: boolean) => {
    await attempt(async () => {
      const ep = await get<EpisodeDetail>(`/api/episodes/${hit.episode.id}`);
      navigate(`/episodes/${ep.id}`);
      load(ep, { at: hit.start_ms / 1000, play: !clipMode });
      if (clipMode) await enterClipMode(ep, { start: hit.clip.start_ms / 1000, end: hit.clip.end_ms / 1000 });
    });
  };
  return (
    <li class="hit">
      <p class="muted small-text">
        <a href={`/episodes/${hit.episode.id}?t=${Math.floor(hit.start_ms / 1000)}`}>{hit.episode.title}</a>
        {" · "}{hit.episode.podcast_title} · {clock(hit.start_ms / 1000)}
      </p>
      {/* The server escapes every transcript word; its only markup is <mark> (routes/search.py). */}
      <p class="snippet">
        {hit.speaker && <span class="t-speaker">{hit.speaker}:</span>}
        <span dangerouslySetInnerHTML={{ __html: hit.snippet }} />
      </p>
      <div class="row">
        <button class="small secondary" aria-label={`Play from ${clock(hit.start_ms / 1000)} in ${hit.episode.title}`} onClick={() => void open(false)}>
          <Icon name="play" size={16} /> Play
        </button>
        <button class="small" aria-label={`Clip this moment from ${hit.episode.title}`}
          onClick={() => void attempt(async () => (created.value = await post<Clip>("/api/clips", hit.clip)))}>
          <Icon name="scissors" size={16} /> Clip this
        </button>
        <button class="small secondary" aria-label={`Adjust the clip in ${hit.episode.title}`} onClick={() => void open(true)}>Adjust…</button>
      </div>
    </li>
  );
}
