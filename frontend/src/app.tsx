// The app's frame: header with navigation and search, the routed page, the player bar that
// survives navigation, messages, the share dialog and the shortcuts overlay.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { session, signInUrl, signOut } from "./api/client";
import { created } from "./clip/editor";
import { ShareDialog } from "./clip/share";
import { HelpOverlay } from "./help";
import { AnalyticsPage } from "./pages/analytics";
import { ClipsPage } from "./pages/clips";
import { EpisodePage } from "./pages/episode";
import { ForYouPage } from "./pages/foryou";
import { HistoryPage } from "./pages/history";
import { LibraryPage } from "./pages/library";
import { SearchPage } from "./pages/search";
import { PodcastSettingsPage } from "./pages/settings";
import { SignalsPage } from "./pages/signals";
import { PlayerBar } from "./player/bar";
import { episode } from "./player/state";
import { match, navigate, route } from "./router";
import { showHelp } from "./shortcuts";
import { Icon } from "./ui/icons";
import { Toasts } from "./ui/toast";

function Page(): JSX.Element {
  const path = route.value.path;
  let m: Record<string, string> | null;
  if (match("/", path)) return <LibraryPage />;
  if ((m = match("/podcasts/:id", path))) return <LibraryPage key={m.id} podcastId={Number(m.id)} />;
  if ((m = match("/podcasts/:id/settings", path))) return <PodcastSettingsPage key={m.id} id={Number(m.id)} />;
  if ((m = match("/episodes/:id", path))) return <EpisodePage key={m.id} id={Number(m.id)} />;
  if (match("/clips", path)) return <ClipsPage />;
  if (match("/history", path)) return <HistoryPage />;
  if (match("/for-you", path)) return <ForYouPage />;
  if (match("/for-you/signals", path)) return <SignalsPage />;
  if (match("/search", path)) return <SearchPage />;
  if (match("/analytics", path)) return <AnalyticsPage />;
  return <div class="page"><h1>Not found</h1><p>There is nothing at this address. <a href="/">Back to the library</a></p></div>;
}

const TITLES: [RegExp, string][] = [
  [/^\/for-you\/signals/, "What shapes your feed"], [/^\/for-you/, "For you"], [/^\/clips/, "Your clips"], [/^\/history/, "History"], [/^\/search/, "Search"], [/^\/analytics/, "Analytics"], [/^\/$/, "Library"],
];

function SearchBox(): JSX.Element {
  const [q, setQ] = useState(route.value.query.get("q") ?? "");
  useEffect(() => setQ(route.value.query.get("q") ?? ""), [route.value.query.get("q")]);
  return (
    <form class="search-box" role="search" onSubmit={(e) => {
      e.preventDefault();
      if (q.trim()) navigate(`/search?q=${encodeURIComponent(q.trim())}`);
    }}>
      <label for="search-q" class="visually-hidden">Search transcripts</label>
      <input id="search-q" type="search" placeholder="Search every word…" value={q} aria-keyshortcuts="/"
        onInput={(e) => setQ(e.currentTarget.value)} autocomplete="off" />
      <button type="submit" class="icon-button" aria-label="Search"><Icon name="search" size={20} /></button>
    </form>
  );
}

export function App(): JSX.Element {
  const path = route.value.path;
  useEffect(() => {
    const title = TITLES.find(([re]) => re.test(path))?.[1];
    if (title) document.title = `${title} · Soundbite`;
  }, [path]);
  const user = session.value?.user;
  return (
    <div class={`app ${episode.value ? "has-player" : ""}`}>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/" aria-label="Soundbite: library"><Icon name="scissors" size={22} /><span>Soundbite</span></a>
        <nav aria-label="Main">
          <a href="/" aria-current={path === "/" ? "page" : undefined}>Library</a>
          <a href="/for-you" aria-current={path === "/for-you" ? "page" : undefined}>For you</a>
          <a href="/clips" aria-current={path === "/clips" ? "page" : undefined}>Your clips</a>
          {user && <a href="/history" aria-current={path === "/history" ? "page" : undefined}>History</a>}
          {(user?.is_owner || !!user?.creates_for?.length) && <a href="/analytics" aria-current={path === "/analytics" ? "page" : undefined}>Analytics</a>}
        </nav>
        <SearchBox />
        <div class="account">
          <button class="icon-button" aria-label="Keyboard shortcuts" aria-keyshortcuts="?" onClick={() => (showHelp.value = true)}>
            <Icon name="keyboard" />
          </button>
          {user ? (
            <>
              {/* the server's "Your account" page: sessions, data, invites, moderation */}
              <a href="/account" class="account-link" aria-label={`Your account (${user.username})`}>
                <Icon name="person" size={20} /><span class="wide-only">Account</span>
              </a>
              <button class="link" onClick={() => void signOut()} aria-label={`Sign out ${user.username}`}>Sign out</button>
            </>
          ) : <a href={signInUrl()}>Sign in</a>}
        </div>
      </header>
      <main id="main" tabIndex={-1}><Page /></main>
      <PlayerBar />
      <Toasts />
      <HelpOverlay />
      {created.value && <ShareDialog clip={created.value} onClose={() => (created.value = null)} />}
    </div>
  );
}
