// Shapes of the JSON API (src/soundbite/web/api/schemas.py, clip_schemas.py, routes/*.py).
// Times are integer milliseconds, as everywhere on the server.

export interface User {
  id: number; username: string; role: "admin" | "listener"; is_owner: boolean;
  creates_for?: number[]; // podcasts this account is a creator of
}
export interface Session { user: User; csrf_token: string | null }

// What reading a malformed feed repaired or skipped; item null: the feed as a whole.
export interface FeedProblem { item: string | null; reason: string }
export interface Podcast {
  id: number; title: string; description: string; feed_url: string | null; link: string | null;
  artwork_url: string | null; author: string | null; episode_count: number;
  feed_problems: FeedProblem[];
  /** who may see it (docs/accounts.md); only admins change it */
  visibility: Visibility; may_edit: boolean;
}

export type CaptionStyle = "highlight" | "karaoke" | "plain";
export type CaptionSize = "small" | "medium" | "large";
/** How the podcast's clip videos look (GET/PATCH /api/podcasts/{id}/brand; creators and admins) */
export interface Brand {
  background: string; accent: string; caption_style: CaptionStyle; caption_size: CaptionSize; has_logo: boolean;
}

export type JobState = "queued" | "running" | "done" | "failed";
export interface Job {
  id: number; episode_id: number; stage: string; state: JobState; attempts: number;
  progress: number; message: string; error: string | null;
}

export type EpisodeStatus = "not processed" | "queued" | "processing" | "ready" | "failed";
export interface EpisodeSummary {
  id: number; podcast_id: number; title: string; published_at: string | null;
  duration_ms: number | null; artwork_url: string | null; status: EpisodeStatus;
  has_transcript: boolean; stages: Job[];
}
export interface EpisodeDetail extends EpisodeSummary {
  podcast_title: string; description: string; link: string | null;
  chapters: unknown[]; audio_url: string | null; has_peaks: boolean; peaks_url: string | null;
  transcript_source: string | null; transcript_urls: Record<string, string>;
  /** false while the episode is still being transcribed: the transcript is its start only */
  transcript_complete: boolean | null;
  /** the transcript's speakers, in the order they first speak; empty when it names none */
  speakers: string[];
  /** the people the feed names on the episode (podcast:person): names to give the speakers */
  persons: { name: string; role: string }[];
  /** the viewer may edit its details and name its speakers (an admin or one of the podcast's creators) */
  may_edit: boolean;
  /** one paragraph about the episode, once analysed: a language model's or its key sentences */
  summary?: string | null;
  summary_source?: "transcript" | "model" | null;
}
export interface EpisodePage { items: EpisodeSummary[]; total: number; limit: number; offset: number }

export interface Chapter { start_ms: number; end_ms: number | null; title: string; toc?: boolean }
export interface Chapters { chapters: Chapter[]; source: string }

/** The body POST /api/clips takes as it is: search hits and highlights carry one. */
export interface ClipSuggestion {
  episode_id: number; start_ms: number; end_ms: number; title: string; source: "suggested";
}
export interface Highlight {
  rank: number; start_ms: number; end_ms: number; score: number; reason: string;
  title: string; text: string; clip: ClipSuggestion;
}
export interface Highlights { status: string; highlights: Highlight[] }

export type Visibility = "public" | "unlisted" | "private";
export interface ClipLinks {
  share: string; embed: string; audio: Record<string, string>; captions: string; card: string;
  episode: string; oembed: string;
}
export interface Clip {
  id: string; episode_id: number; episode_title: string; podcast_title: string;
  start_ms: number; end_ms: number; duration_ms: number; title: string; note: string | null;
  text: string | null; visibility: Visibility; source: string; owner: string;
  /** a Mark waiting in Drafts: private until shared */
  draft: boolean;
  created_at: string; share_url: string; audio_url: string; links: ClipLinks;
}
export interface ClipUpdate {
  start_ms?: number; end_ms?: number; snap?: "word" | "sentence" | "none";
  title?: string | null; note?: string | null; visibility?: Visibility; draft?: false;
}
export interface ClipPage { items: Clip[]; total: number; limit: number; offset: number }
export interface ClipCreate {
  episode_id: number; start_ms: number; end_ms: number; snap?: "word" | "sentence" | "none";
  title?: string | null; note?: string | null; visibility?: Visibility; source?: string;
}

export interface SearchHit {
  episode: { id: number; title: string; podcast_id: number; podcast_title: string };
  start_ms: number; end_ms: number; snippet: string; score: number; clip: ClipSuggestion;
  /** who says the matching words, when the transcript names speakers */
  speaker: string | null;
}
export interface SearchResults {
  query: string; total: number; items: SearchHit[]; matched: string;
  /** "question": each hit is a passage that starts at the sentence answering it. */
  kind: "keywords" | "question"; terms: string[]; speakers: string[];
}

/** Podcasting 2.0 JSON transcript: one entry per word when words are timed (seconds). */
export interface TranscriptJson {
  segments: { startTime: number; endTime: number; body: string; speaker?: string }[];
}

/** Per-page configuration the server puts in the app shell (web/pages/app.py). */
export interface AppConfig {
  clip_min_ms: number; clip_max_ms: number; public_library: boolean; style_nonce: string;
}

export interface FeedAdded {
  podcast: Podcast; new_episode_ids: number[]; queued_episode_ids: number[]; not_modified: boolean;
}

// Per listener (routes/listening.py): where they are in an episode, on any of their browsers.
export interface Progress {
  episode_id: number; position_ms: number; done: boolean; duration_ms: number | null;
  updated_at: string | null;
}
export interface HistoryItem {
  episode_id: number; episode_title: string; podcast_id: number; podcast_title: string;
  artwork_url: string | null; duration_ms: number | null; position_ms: number; done: boolean;
  first_played_at: string; last_played_at: string;
}
export interface HistoryPage { items: HistoryItem[]; total: number; limit: number; offset: number }
export interface Subscription {
  podcast_id: number; title: string; author: string | null; artwork_url: string | null;
  episode_count: number; subscribed_at: string;
}
export interface ListenerSettings { mark_seconds: number }

// "For you" (routes/for_you.py): rows of items, each with the reason it is there.
export interface ForYouReason {
  text: string; signal_kind: "interaction" | "popularity" | "recency" | "budget";
  signal_id: string; link: string | null;
}
export interface ForYouItem {
  id: string; kind: "episode" | "highlight" | "clip"; title: string; podcast_id: number;
  podcast_title: string; episode_id: number; start_ms: number; end_ms: number | null;
  duration_ms: number; audio_url: string | null; share_id: string | null; reason: ForYouReason;
}
export interface ForYouRow { key: string; title: string; items: ForYouItem[] }
export interface ForYouFeed {
  personalised: boolean; source: "model" | "cold_start"; trained_at: string | null; rows: ForYouRow[];
}
export interface ForYouPrivacy { personalised: boolean; history_paused: boolean }
export interface ForYouSignal {
  id: string; kind: string; at: string; episode_id: number | null; episode_title: string | null;
  podcast_id: number | null; podcast_title: string | null; clip_id: number | null;
  query: string | null; listened_ms: number | null;
}
export interface ForYouSignalPage { items: ForYouSignal[]; total: number; limit: number; offset: number }
