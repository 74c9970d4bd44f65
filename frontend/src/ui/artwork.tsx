import type { JSX } from "preact";
import { useState } from "preact/hooks";

/** Cover art, or the title's initial on a tile when there is none (or it fails to load). */
export function Artwork({ url, title, size }: { url: string | null; title: string; size: "s" | "m" | "l" }): JSX.Element {
  const [broken, setBroken] = useState(false);
  if (url && !broken) {
    return <img class={`art art-${size}`} src={url} alt="" loading="lazy" onError={() => setBroken(true)} />;
  }
  return <span class={`art art-${size} art-none`} aria-hidden="true">{(title.trim()[0] || "?").toUpperCase()}</span>;
}
