// The share dialog's video for social networks: the listener picks the shape, captions and
// waveform or bars, and sees a still frame of that choice at once (drawn by the server with the
// same drawer and the podcast's brand, GET /api/clips/{id}/video/preview.png); the server renders it (POST /api/clips/{id}/videos, asked again to follow
// its progress) and the dialog shows it playing. On phones the MP4 itself goes to the share
// sheet (Web Share API with files), so it lands in Instagram or TikTok; elsewhere it downloads.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, post } from "../api/client";
import type { Clip } from "../api/types";
import { Icon } from "../ui/icons";
import { notify } from "../ui/toast";

type Aspect = "9x16" | "1x1" | "16x9";
type Visual = "waveform" | "bars";
interface VideoStatus {
  state: "rendering" | "ready"; progress: number; url: string; width: number; height: number;
  captions: boolean; note: string | null;
}

const ASPECTS: { value: Aspect; label: string; hint: string }[] = [
  { value: "9x16", label: "9:16", hint: "Reels, TikTok, Shorts" },
  { value: "1x1", label: "1:1", hint: "Feeds" },
  { value: "16x9", label: "16:9", hint: "YouTube, LinkedIn" },
];
const POLL_MS = 600;
const PREVIEW_WIDTH = 540;
const PREVIEW_HEIGHT: Record<Aspect, number> = { "9x16": 960, "1x1": 540, "16x9": 304 };

async function shareFile(url: string, clip: Clip): Promise<boolean> {
  const blob = await (await fetch(url, { credentials: "same-origin" })).blob();
  const file = new File([blob], `${clip.title.slice(0, 60) || "clip"}.mp4`, { type: "video/mp4" });
  if (!navigator.canShare?.({ files: [file] })) return false;
  await navigator.share({ files: [file], title: clip.title, text: clip.share_url });
  return true;
}

export function VideoMaker({ clip, onShared }: { clip: Clip; onShared: (channel: string) => void }): JSX.Element {
  const [aspect, setAspect] = useState<Aspect>("9x16");
  const [captions, setCaptions] = useState(true);
  const [visual, setVisual] = useState<Visual>("waveform");
  const [status, setStatus] = useState<VideoStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const alive = useRef(true);
  useEffect(() => () => { alive.current = false; }, []);
  const previewUrl = `/api/clips/${clip.id}/video/preview.png?aspect=${aspect}`
    + `&captions=${captions}&visual=${visual}`;
  // which preview URL has loaded (or failed): anything else is still loading
  const [shown, setShown] = useState<{ url: string; ok: boolean } | null>(null);
  const preview = shown?.url !== previewUrl ? "loading" : shown.ok ? "shown" : "failed";
  const shape = ASPECTS.find((a) => a.value === aspect)?.label ?? aspect;
  const touch = typeof matchMedia === "function" && matchMedia("(pointer: coarse)").matches;
  const canShareFiles = touch && typeof navigator.canShare === "function";

  async function make(): Promise<void> {
    setBusy(true); setError(null); setStatus(null);
    try {
      for (;;) {
        const s = await post<VideoStatus>(`/api/clips/${clip.id}/videos`, { aspect, captions, visual });
        if (!alive.current) return;
        setStatus(s);
        if (s.state === "ready") break;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "The video could not be made.");
    } finally {
      if (alive.current) setBusy(false);
    }
  }

  const ready = status?.state === "ready" ? status : null;
  const pick = (fn: () => void) => () => { fn(); setStatus(null); };
  return (
    <section class="video-maker" aria-labelledby="video-maker-title">
      <h3 id="video-maker-title" class="field-label">Video for social</h3>
      <div class="video-options">
        <div class="segmented" role="radiogroup" aria-label="Shape">
          {ASPECTS.map((a) => (
            <button key={a.value} role="radio" aria-checked={aspect === a.value} title={a.hint}
              class={aspect === a.value ? "on" : ""} onClick={pick(() => setAspect(a.value))}>
              <span class={`shape shape-${a.value}`} aria-hidden="true" />{a.label}
            </button>
          ))}
        </div>
        <label class="check"><input type="checkbox" checked={captions}
          onChange={(e) => { setCaptions(e.currentTarget.checked); setStatus(null); }} /> Captions</label>
        <div class="segmented" role="radiogroup" aria-label="Sound picture">
          {(["waveform", "bars"] as Visual[]).map((v) => (
            <button key={v} role="radio" aria-checked={visual === v} class={visual === v ? "on" : ""}
              onClick={pick(() => setVisual(v))}>{v === "waveform" ? "Waveform" : "Bars"}</button>
          ))}
        </div>
      </div>
      {!ready && preview !== "failed" && (
        <figure class={`video-still${preview === "loading" ? " loading" : ""}`} aria-busy={preview === "loading"}>
          <img src={previewUrl} width={PREVIEW_WIDTH} height={PREVIEW_HEIGHT[aspect]}
            alt={`Preview of the ${shape} video${captions ? ", with captions" : ""}, ${visual === "bars" ? "bars" : "waveform"}`}
            onLoad={() => setShown({ url: previewUrl, ok: true })}
            onError={() => setShown({ url: previewUrl, ok: false })} />
          <figcaption class="muted">Preview · {shape}</figcaption>
        </figure>
      )}
      {!ready && (
        <button onClick={() => void make()} disabled={busy} aria-busy={busy}>
          <Icon name="share" size={18} /> {busy ? "Making the video…" : "Make video"}
        </button>
      )}
      {busy && status && (
        <div class="video-progress" role="progressbar" aria-label="Video progress"
          aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(status.progress * 100)}>
          <span style={{ width: `${Math.round(status.progress * 100)}%` }} />
        </div>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      {ready?.note && <p class="muted">{ready.note}</p>}
      {ready && (
        <>
          <video class={`video-preview video-${aspect}`} src={ready.url} controls playsInline muted
            width={ready.width} height={ready.height} />
          <div class="row share-more">
            {canShareFiles && (
              <button onClick={() => {
                shareFile(ready.url, clip).then((done) => done && onShared("video"))
                  .catch(() => notify("Sharing was cancelled."));
              }}><Icon name="share" size={18} /> Share video…</button>
            )}
            <a class="button secondary" href={`${ready.url}&download=true`} download
              onClick={() => onShared("video-download")}>
              <Icon name="download" size={18} /> Download video</a>
          </div>
        </>
      )}
    </section>
  );
}
