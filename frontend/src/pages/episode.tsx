// The episode page, which is also its Now Playing view: controls, the scissors, the clip
// editor, the transcript following playback, a summary, suggested clips, chapters and the description.
// `?t=SECONDS` (the share page's "play the full episode from mm:ss") opens it at that second;
// `?t=SECONDS&clip=1` (from a peak of the listening curves on the dashboard) opens the clip
// tool there; `?draft=ID` (from Drafts) opens that draft in the clip tool. A signed-in listener who stopped
// somewhere in it, on any browser, is offered "Resume at 12:34".
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { get, post } from "../api/client";
import { SpeakerNames } from "../transcript/speakers";
import type { Chapters, Clip, EpisodeDetail, Highlights, Progress as Position } from "../api/types";
import { ClipEditor, created } from "../clip/editor";
import { clip, DEFAULT_S, editing, enterClipMode } from "../clip/state";
import { clock, date, length } from "../lib/time";
import { ForwardButton, PlayButton, Scrubber, SkipButtons, SpeedSelect } from "../player/controls";
import { mark, marking } from "../player/mark";
import { episode as playerEpisode, load, play, playerError, seek, time } from "../player/state";
import { fetchProgress } from "../player/sync";
import { route } from "../router";
import { loadTranscript, type Transcript } from "../transcript/model";
import { TranscriptView } from "../transcript/view";
import { Artwork } from "../ui/artwork";
import { useLoad } from "../ui/hooks";
import { Icon } from "../ui/icons";
import { reportError } from "../ui/toast";
import { EditDetails } from "./details";
import { busy, Progress, StatusBadge } from "./progress";

const POLL_MS = 1500;

export function EpisodePage({ id }: { id: number }): JSX.Element {
  const detail = useLoad(
    (signal) => get<EpisodeDetail>(`/api/episodes/${id}`, { signal }), [id],
    (ep) => (busy(ep) ? POLL_MS : 0),
  );
  const ep = detail.data;
  const startAt = Number(route.value.query.get("t"));
  const hasStart = route.value.query.has("t") && Number.isFinite(startAt);

  // landing from a share page: load the episode at that second, ready to play
  useEffect(() => {
    if (ep?.audio_url && hasStart) load(ep, { at: startAt });
  }, [ep?.id, ep?.audio_url, hasStart && startAt]);

  // opened from a peak of the listening curves: the clip tool, from that second
  const clipAt = hasStart && route.value.query.get("clip") === "1";
  useEffect(() => {
    if (!ep?.audio_url || !clipAt) return;
    void enterClipMode(ep, { start: startAt, end: startAt + DEFAULT_S }).catch(reportError);
  }, [ep?.id, ep?.audio_url, clipAt && startAt]);

  // opened from Drafts: that draft, in the clip tool
  const draftId = route.value.query.get("draft");
  useEffect(() => {
    if (!ep?.audio_url || !draftId || editing.value?.id === draftId) return;
    get<Clip>(`/api/clips/${encodeURIComponent(draftId)}`)
      .then((d) => enterClipMode(ep, { start: d.start_ms / 1000, end: d.end_ms / 1000 }, d))
      .catch(reportError);
  }, [ep?.id, ep?.audio_url, draftId]);

  if (detail.error && !ep) return <div class="page"><p class="error" role="alert">{detail.error}</p></div>;
  if (!ep) return <div class="page"><p class="muted">Loading…</p></div>;
  const inPlayer = playerEpisode.value?.id === ep.id;
  return (
    <div class="page episode-page">
      <header class="ep-header">
        <Artwork url={ep.artwork_url} title={ep.podcast_title} size="l" />
        <div class="ep-meta">
          <a class="muted podcast-link" href={`/podcasts/${ep.podcast_id}`}>{ep.podcast_title}</a>
          <h1 class="ep-title">{ep.title}</h1>
          <div class="muted">
            {[date(ep.published_at), ep.duration_ms ? length(ep.duration_ms / 1000) : ""].filter(Boolean).join(" · ")}
            {" "}{ep.status !== "ready" && <StatusBadge status={ep.status} />}
          </div>
          <Progress episode={ep} onChange={detail.reload} />
          <EditDetails ep={ep} onSaved={detail.reload} />
        </div>
      </header>
      <NowPlaying ep={ep} inPlayer={inPlayer} />
      {inPlayer && clip.value?.episodeId === ep.id && <ClipEditor key={editing.value?.id ?? "new"} ep={ep} />}
      <div class="ep-columns">
        <TranscriptSection ep={ep} onRenamed={detail.reload} />
        <aside class="ep-side">
          <Summary ep={ep} />
          <Suggestions ep={ep} />
          <ChaptersList ep={ep} />
          {ep.description && (
            <section aria-labelledby="desc-h">
              <h2 id="desc-h">About this episode</h2>
              <p class="description">{ep.description}</p>
            </section>
          )}
        </aside>
      </div>
    </div>
  );
}

function useChapters(ep: EpisodeDetail) {
  return useLoad((signal) => get<Chapters>(`/api/episodes/${ep.id}/chapters`, { signal }), [ep.id, ep.status]);
}

/** "Resume at 12:34": where this listener stopped, on this or another browser. */
function ResumeOffer({ ep, progress }: { ep: EpisodeDetail; progress: Position | null }): JSX.Element | null {
  const at = (progress?.position_ms ?? 0) / 1000;
  if (!progress || progress.done || at < 5) return null;
  // once this browser is past the start, its own playhead is the truth
  if (playerEpisode.value?.id === ep.id && time.value >= 1) return null;
  return (
    <button class="secondary resume" data-testid="resume" onClick={() => {
      load(ep, { at });
      seek(at);
      void play();
    }}>
      <Icon name="play" size={18} /> Resume at {clock(at)}
    </button>
  );
}

function NowPlaying({ ep, inPlayer }: { ep: EpisodeDetail; inPlayer: boolean }): JSX.Element {
  const chapters = useChapters(ep).data?.chapters ?? [];
  const progress = useLoad((signal) => fetchProgress(ep.id, signal), [ep.id]).data;
  if (!ep.audio_url) {
    return <section class="now-playing"><p class="muted">The audio appears here once it is downloaded.</p></section>;
  }
  if (!inPlayer) {
    return (
      <section class="now-playing np-idle" aria-label="Player">
        <button class="play-button big" aria-label={`Play ${ep.title}`} onClick={() => load(ep, { play: true })}>
          <Icon name="play" size={34} />
        </button>
        <span class="muted">{progress?.done ? "Played to the end. Play it again" : "Play this episode"}</span>
        <ResumeOffer ep={ep} progress={progress} />
      </section>
    );
  }
  const inClip = clip.value?.episodeId === ep.id;
  return (
    <section class="now-playing" aria-label="Now Playing">
      <div class="np-controls">
        <SkipButtons />
        <PlayButton big />
        <ForwardButton />
        <SpeedSelect />
        <button class={`scissors ${inClip ? "on" : ""}`} aria-label={inClip ? "Clip mode is on" : "Clip from here (scissors)"}
          aria-keyshortcuts="C" aria-pressed={inClip} data-testid="scissors"
          onClick={() => (inClip ? undefined : void enterClipMode(ep).catch(reportError))}>
          <Icon name="scissors" /> <span class="scissors-label">Clip</span>
        </button>
        <button class="mark" aria-label="Mark: save the last seconds as a draft" aria-keyshortcuts="M"
          data-testid="mark" disabled={marking.value} onClick={() => void mark()}>
          <Icon name="bookmark" /> <span class="scissors-label">Mark</span>
        </button>
        <ResumeOffer ep={ep} progress={progress} />
      </div>
      <Scrubber chapters={chapters} />
      {playerError.value && <p class="error" role="alert">{playerError.value}</p>}
    </section>
  );
}

function TranscriptSection({ ep, onRenamed }: { ep: EpisodeDetail; onRenamed: () => void }): JSX.Element {
  const [transcript, setTranscript] = useState<Transcript | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  // A transcript being written grows chunk by chunk: fetch it again as the stage moves on.
  const partial = ep.transcript_complete === false;
  const transcribed = ep.stages.find((job) => job.stage === "transcribe")?.progress ?? 0;
  useEffect(() => {
    let gone = false;
    if (!ep.has_transcript) {
      setTranscript(null);
      return;
    }
    loadTranscript(ep.id, partial).then((t) => !gone && setTranscript(t), (err) => !gone && setError(err.message));
    return () => {
      gone = true;
    };
  }, [ep.id, ep.has_transcript, ep.transcript_complete, partial ? transcribed : 0, ep.speakers.join("\n")]);
  return (
    <section class="transcript-section" aria-labelledby="transcript-h">
      <div class="transcript-head">
        <h2 id="transcript-h">Transcript</h2>
        {ep.may_edit && ep.speakers.length > 0 && <SpeakerNames ep={ep} onRenamed={onRenamed} />}
      </div>
      {error ? <p class="error" role="alert">{error}</p>
        : transcript ? (
          <>
            {partial && (
              <p class="muted" role="status" data-testid="transcript-partial">
                Still transcribing: this is the start of the episode; the rest appears as it is done.
              </p>
            )}
            <TranscriptView ep={ep} transcript={transcript} />
          </>
        )
        : (
          <div class="transcript transcript-placeholder" aria-busy={transcript === undefined}>
            {transcript === null
              ? <p class="muted">{busy(ep) ? "Transcribing… the text appears here when it is done." : "No transcript for this episode."}</p>
              : <div class="skeleton-lines" aria-hidden="true">{Array.from({ length: 8 }, (_, i) => <span key={i} />)}</div>}
          </div>
        )}
    </section>
  );
}

function Suggestions({ ep }: { ep: EpisodeDetail }): JSX.Element | null {
  const found = useLoad((signal) => get<Highlights>(`/api/episodes/${ep.id}/highlights`, { signal }), [ep.id, ep.status]);
  const items = found.data?.highlights ?? [];
  if (!items.length) return null;
  const clipThis = async (h: Highlights["highlights"][number]) => {
    try {
      created.value = await post<Clip>("/api/clips", h.clip);
    } catch (err) {
      reportError(err);
    }
  };
  return (
    <section aria-labelledby="suggested-h">
      <h2 id="suggested-h">Suggested clips</h2>
      <ul class="suggestions">
        {items.slice(0, 8).map((h) => (
          <li key={h.rank} class="suggestion">
            <p class="suggestion-title">{h.title}</p>
            <p class="muted small-text">{clock(h.start_ms / 1000)} · {length((h.end_ms - h.start_ms) / 1000)} · {h.reason}</p>
            <div class="row">
              <button class="small" aria-label={`Clip this: ${h.title}`} onClick={() => void clipThis(h)}>
                <Icon name="scissors" size={16} /> Clip this
              </button>
              <button class="small secondary" aria-label={`Play ${h.title}`} onClick={() => { load(ep, { at: h.start_ms / 1000 }); seek(h.start_ms / 1000); void play(); }}>
                <Icon name="play" size={16} /> Play
              </button>
              <button class="small secondary" aria-label={`Adjust before clipping: ${h.title}`}
                onClick={() => void enterClipMode(ep, { start: h.start_ms / 1000, end: h.end_ms / 1000 }).catch(reportError)}>
                Adjust…
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The analyze stage's paragraph: a language model's when one is configured, else the
 * episode's key sentences as they were said (so it says which, since those read as quotes). */
function Summary({ ep }: { ep: EpisodeDetail }): JSX.Element | null {
  if (!ep.summary) return null;
  return (
    <section aria-labelledby="summary-h" data-testid="summary">
      <h2 id="summary-h">In short</h2>
      <p class="summary">{ep.summary}</p>
      <p class="muted small-text">
        {ep.summary_source === "model" ? "Summarised by a language model from the transcript." : "Key sentences from the transcript."}
      </p>
    </section>
  );
}

function ChaptersList({ ep }: { ep: EpisodeDetail }): JSX.Element | null {
  const chapters = useChapters(ep).data?.chapters ?? [];
  if (!chapters.length) return null;
  return (
    <section aria-labelledby="chapters-h">
      <h2 id="chapters-h">Chapters</h2>
      <ol class="chapters">
        {chapters.map((c) => (
          <li key={c.start_ms}>
            <button class="chapter" onClick={() => { load(ep, { at: c.start_ms / 1000 }); seek(c.start_ms / 1000); void play(); }}
              aria-label={`Play chapter ${c.title} from ${clock(c.start_ms / 1000)}`}>
              <span class="chapter-time">{clock(c.start_ms / 1000)}</span>
              <span class="chapter-title">{c.title}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
