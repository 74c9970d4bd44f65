// After Create: the link to share, with a copy button, the usual targets, the system share
// sheet where the browser has one (Web Share API), the embed code and the audio itself.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { post } from "../api/client";
import type { Clip } from "../api/types";
import { clock, length } from "../lib/time";
import { Dialog } from "../ui/dialog";
import { Icon } from "../ui/icons";
import { notify } from "../ui/toast";
import { VideoMaker } from "./video";

/** The link as shared through one channel (`?ch=x`), so that the creator's analytics can
 * tell which channel brought each arrival; the server's share page tags its links the same
 * way (web/pages/share.py, `tagged`). */
export function tagged(url: string, channel: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}ch=${channel}`;
}

export function shareTargets(url: string, title: string): { id: string; label: string; href: string }[] {
  const t = encodeURIComponent(title);
  const u = (channel: string) => encodeURIComponent(tagged(url, channel));
  return [
    { id: "x", label: "X", href: `https://x.com/intent/post?url=${u("x")}&text=${t}` },
    { id: "facebook", label: "Facebook", href: `https://www.facebook.com/sharer/sharer.php?u=${u("facebook")}` },
    { id: "linkedin", label: "LinkedIn", href: `https://www.linkedin.com/sharing/share-offsite/?url=${u("linkedin")}` },
    { id: "reddit", label: "Reddit", href: `https://www.reddit.com/submit?url=${u("reddit")}&title=${t}` },
    { id: "whatsapp", label: "WhatsApp", href: `https://wa.me/?text=${encodeURIComponent(`${title} ${tagged(url, "whatsapp")}`)}` },
    { id: "telegram", label: "Telegram", href: `https://t.me/share/url?url=${u("telegram")}&text=${t}` },
    { id: "email", label: "Email", href: `mailto:?subject=${t}&body=${encodeURIComponent(`${title}\n\n${tagged(url, "email")}`)}` },
  ];
}

export function embedCode(clip: Clip): string {
  const title = clip.title.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<iframe src="${clip.links.embed}" width="100%" height="166" frameborder="0" ` +
    `allow="autoplay" loading="lazy" title="${title}"></iframe>`;
}

function recordShare(clip: Clip, channel: string): void {
  // counting shares must never get in the way of sharing
  post(`/api/clips/${clip.id}/events`, { kind: "shared", channel }).catch(() => {});
}

async function copy(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // insecure origins (plain http on a LAN) have no async clipboard: fall back
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  notify(`${what} copied.`);
}

export function ShareDialog({ clip, onClose }: { clip: Clip; onClose: () => void }): JSX.Element {
  const [showEmbed, setShowEmbed] = useState(false);
  const canShare = typeof navigator.share === "function";
  const span = `${clock(clip.start_ms / 1000)}–${clock(clip.end_ms / 1000)}`;
  const link = tagged(clip.share_url, "copy");
  return (
    <Dialog title="Your clip is ready" onClose={onClose} class="share-dialog">
      <p class="share-title">{clip.title}</p>
      <p class="muted">{clip.podcast_title} · {clip.episode_title} · {span} ({length(clip.duration_ms / 1000)})</p>
      {clip.text && <blockquote class="share-quote">{clip.text}</blockquote>}
      <label for="share-link" class="field-label">Link</label>
      <div class="row copy-row">
        <input id="share-link" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
        <button onClick={() => { void copy(link, "Link"); recordShare(clip, "copy"); }} aria-label="Copy link">
          <Icon name="copy" size={18} /> Copy
        </button>
      </div>
      <div class="share-targets" role="group" aria-label="Share to">
        {canShare && (
          <button class="target" onClick={() => {
            navigator.share({ title: clip.title, text: clip.title, url: tagged(clip.share_url, "native") })
              .then(() => recordShare(clip, "native")).catch(() => {});
          }}><Icon name="share" size={18} /> Share…</button>
        )}
        {shareTargets(clip.share_url, clip.title).map((t) => (
          <a key={t.id} class={`target target-${t.id}`} href={t.href} target="_blank" rel="noopener noreferrer"
            aria-label={`Share on ${t.label}`} onClick={() => recordShare(clip, t.id)}>{t.label}</a>
        ))}
      </div>
      <VideoMaker clip={clip} onShared={(channel) => recordShare(clip, channel)} />
      <div class="row share-more">
        <button class="secondary" aria-expanded={showEmbed} aria-controls="embed-code"
          onClick={() => setShowEmbed(!showEmbed)}>Embed</button>
        <a class="button secondary" href={clip.links.audio.mp3 ?? clip.audio_url} download
          aria-label="Download the clip's audio (MP3)"><Icon name="download" size={18} /> Download audio</a>
        <a class="button secondary" href={clip.share_url} target="_blank" rel="noopener">Open share page</a>
      </div>
      {showEmbed && (
        <div id="embed-code">
          <label for="embed-text" class="field-label">Embed code</label>
          <textarea id="embed-text" readOnly rows={3} value={embedCode(clip)} onFocus={(e) => e.currentTarget.select()} />
          <button class="secondary" onClick={() => { void copy(embedCode(clip), "Embed code"); recordShare(clip, "embed"); }}>Copy embed code</button>
        </div>
      )}
    </Dialog>
  );
}
