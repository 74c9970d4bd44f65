// The player that stays: a bar at the bottom of every page while an episode is loaded, so
// browsing the library or search never stops the audio. Hidden on the playing episode's own
// page, which has the full Now Playing controls.
import type { JSX } from "preact";
import { enterClipMode } from "../clip/state";
import { clock } from "../lib/time";
import { navigate, route } from "../router";
import { Artwork } from "../ui/artwork";
import { Icon } from "../ui/icons";
import { ForwardButton, PlayButton, SkipButtons } from "./controls";
import { mark, marking } from "./mark";
import { episode, episodeDuration, playerError, time } from "./state";

export function PlayerBar(): JSX.Element | null {
  const ep = episode.value;
  if (!ep || route.value.path === `/episodes/${ep.id}`) return null;
  const total = episodeDuration.value;
  const pct = total ? (time.value / total) * 100 : 0;
  return (
    <aside class="player-bar" aria-label="Now Playing">
      <div class="bar-progress" aria-hidden="true"><span style={{ width: `${pct}%` }} /></div>
      <a class="bar-episode" href={`/episodes/${ep.id}`} aria-label={`Now Playing: ${ep.title}. Open the episode`}>
        <Artwork url={ep.artwork_url} title={ep.podcast_title} size="s" />
        <span class="bar-text">
          <span class="bar-title">{ep.title}</span>
          <span class="muted">{playerError.value ?? `${clock(time.value)} / ${clock(total)}`}</span>
        </span>
      </a>
      <div class="bar-controls">
        <span class="hide-narrow"><SkipButtons /></span>
        <PlayButton />
        <span class="hide-narrow"><ForwardButton /></span>
        <button class="icon-button" aria-label="Mark: save the last seconds as a draft" aria-keyshortcuts="M"
          disabled={marking.value} onClick={() => void mark()}><Icon name="bookmark" /></button>
        <button class="icon-button" aria-label="Clip from here (scissors)" onClick={() => {
          navigate(`/episodes/${ep.id}`);
          void enterClipMode(ep);
        }}><Icon name="scissors" /></button>
      </div>
    </aside>
  );
}
