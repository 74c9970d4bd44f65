// Adding to the library: a feed URL, or a file uploaded with a progress bar (and optionally
// the publisher's transcript, so that nothing needs transcribing).
import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import { post } from "../api/client";
import type { FeedAdded } from "../api/types";
import { uploadEpisode } from "../api/upload";
import { navigate } from "../router";
import { Icon } from "../ui/icons";
import { notify } from "../ui/toast";

export function AddPanel({ onAdded, open: initiallyOpen }: { onAdded: () => void; open: boolean }): JSX.Element {
  const [tab, setTab] = useState<"upload" | "feed">("upload");
  const [open, setOpen] = useState(initiallyOpen);
  if (!open) {
    return (
      <div class="add-closed">
        <button class="secondary" aria-expanded="false" onClick={() => setOpen(true)}>
          <Icon name="upload" size={18} /> Add a podcast or upload a file
        </button>
      </div>
    );
  }
  return (
    <section class="add-panel" aria-labelledby="add-h">
      <div class="add-head">
        <h2 id="add-h">Add to the library</h2>
        <button class="icon-button" aria-label="Close the add panel" aria-expanded="true" onClick={() => setOpen(false)}>
          <Icon name="close" size={20} />
        </button>
      </div>
      <div class="tabs" role="tablist" aria-label="Add to the library">
        <button role="tab" id="tab-upload" aria-selected={tab === "upload"} aria-controls="panel-add"
          onClick={() => setTab("upload")}><Icon name="upload" size={18} /> Upload a file</button>
        <button role="tab" id="tab-feed" aria-selected={tab === "feed"} aria-controls="panel-add"
          onClick={() => setTab("feed")}><Icon name="rss" size={18} /> Add a feed</button>
      </div>
      <div id="panel-add" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "upload" ? <UploadForm onAdded={onAdded} /> : <FeedForm onAdded={onAdded} />}
      </div>
    </section>
  );
}

function FeedForm({ onAdded }: { onAdded: () => void }): JSX.Element {
  const [url, setUrl] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const added = await post<FeedAdded>("/api/feeds", { url });
      const n = added.new_episode_ids.length;
      const problems = added.not_modified ? 0 : added.podcast.feed_problems.length;
      notify(added.not_modified ? "The feed has not changed." : `Added “${added.podcast.title}”: ${n} new episode${n === 1 ? "" : "s"}.`
        + (problems ? ` The feed is malformed (${problems} problem${problems === 1 ? "" : "s"}): see the podcast's page.` : ""));
      setUrl("");
      onAdded();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="add-form" onSubmit={submit}>
      <label for="feed-url">Podcast feed URL</label>
      <div class="row">
        <input id="feed-url" type="url" required placeholder="https://example.org/feed.xml" value={url}
          onInput={(e) => setUrl(e.currentTarget.value)} autocomplete="url" />
        <button type="submit" disabled={busy}>{busy ? "Adding…" : "Add feed"}</button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}

function UploadForm({ onAdded }: { onAdded: () => void }): JSX.Element {
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(form.current!);
    const file = data.get("file") as File | null;
    if (!file || !file.size) {
      setError("Choose an audio or video file first.");
      return;
    }
    const transcript = data.get("transcript") as File | null;
    setError(null);
    setProgress(0);
    abort.current = new AbortController();
    try {
      const episode = await uploadEpisode(
        { file, title: String(data.get("title") || ""), transcript: transcript?.size ? transcript : null },
        setProgress, abort.current.signal,
      );
      notify(`Uploaded “${episode.title}”. Processing has started.`);
      form.current!.reset();
      onAdded();
      // the upload tab stays put; the new episode's progress shows in the list below
      if (episode.status === "ready") navigate(`/episodes/${episode.id}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setProgress(null);
      abort.current = null;
    }
  };
  const pct = progress === null ? 0 : Math.round(progress * 100);
  return (
    <form class="add-form" ref={form} onSubmit={submit}>
      <div class="grid-2">
        <div class="field">
          <label for="upload-file">Audio or video file</label>
          <input id="upload-file" name="file" type="file" accept="audio/*,video/*" required />
        </div>
        <div class="field">
          <label for="upload-title">Title <span class="muted">(optional)</span></label>
          <input id="upload-title" name="title" maxLength={500} placeholder="Default: the file name" />
        </div>
        <div class="field">
          <label for="upload-transcript">Transcript <span class="muted">(optional: VTT, SRT or JSON)</span></label>
          <input id="upload-transcript" name="transcript" type="file" accept=".vtt,.srt,.json,text/vtt,application/json" />
        </div>
      </div>
      <div class="row">
        <button type="submit" disabled={progress !== null}>{progress === null ? "Upload" : "Uploading…"}</button>
        {progress !== null && (
          <>
            <progress class="upload-progress" max={100} value={pct} aria-label="Upload progress" aria-valuetext={`${pct} percent`} />
            <span class="muted" aria-hidden="true">{pct}%</span>
            <button type="button" class="secondary" onClick={() => abort.current?.abort()}>Cancel</button>
          </>
        )}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
