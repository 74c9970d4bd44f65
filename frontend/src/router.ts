// Client-side routing on the History API, so that the one <audio> element (player/state.ts)
// survives every page change and playback never stops when the listener browses.
import { signal } from "@preact/signals";

export const route = signal({ path: location.pathname, query: new URLSearchParams(location.search) });

export function navigate(url: string, { replace = false } = {}): void {
  const target = new URL(url, location.href);
  if (target.origin !== location.origin) {
    location.assign(url);
    return;
  }
  const next = target.pathname + target.search + target.hash;
  if (replace) history.replaceState(null, "", next);
  else history.pushState(null, "", next);
  sync();
  if (!replace) window.scrollTo(0, 0);
}

function sync(): void {
  route.value = { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Same-origin <a href> clicks become client navigations unless the user asked for a new tab
 * or the link is a download or goes to a server page (sign-in, your account, moderation, API
 * docs, share pages). */
const SERVER_PATHS =
  /^\/(api|media|static|docs|login|logout|setup|signup|account|moderation|c|embed|oembed)(\/|$|\?)/;

export function installLinkInterception(): void {
  window.addEventListener("popstate", sync);
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
      return;
    }
    const a = (e.target as Element).closest?.("a");
    if (!a || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
    if (SERVER_PATHS.test(a.pathname)) return;
    e.preventDefault();
    navigate(a.pathname + a.search + a.hash);
  });
}

/** Match "/episodes/:id" style patterns; returns the named parts or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const have = path.replace(/\/+$/, "").split("/");
  if (path === "/") return pattern === "/" ? {} : null;
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(have[i]);
    else if (want[i] !== have[i]) return null;
  }
  return params;
}
