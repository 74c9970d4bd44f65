// How far an episode's processing got: one bar for the whole pipeline and a line per stage.
import type { JSX } from "preact";
import { post } from "../api/client";
import type { EpisodeSummary, Job } from "../api/types";
import { attempt } from "../ui/hooks";
import { notify } from "../ui/toast";

const LABELS: Record<string, string> = {
  fetch: "Downloading", probe: "Checking audio", peaks: "Drawing waveform",
  transcribe: "Transcribing", analyze: "Finding chapters and highlights", index: "Indexing for search",
};

export function stageLabel(stage: string): string {
  return LABELS[stage] ?? stage;
}

export function overallProgress(stages: Job[]): number {
  if (!stages.length) return 0;
  const sum = stages.reduce((acc, j) => acc + (j.state === "done" ? 100 : j.progress), 0);
  return Math.round(sum / stages.length);
}

export function busy(e: EpisodeSummary): boolean {
  return e.status === "queued" || e.status === "processing";
}

export function StatusBadge({ status }: { status: string }): JSX.Element {
  return <span class={`badge status-${status.replace(" ", "-")}`}>{status}</span>;
}

export function Progress({ episode, onChange }: { episode: EpisodeSummary; onChange: () => void }): JSX.Element | null {
  const stages = episode.stages;
  const failed = stages.filter((j) => j.state === "failed");
  if (!busy(episode) && !failed.length) return null;
  const current = stages.find((j) => j.state === "running") ?? stages.find((j) => j.state === "queued");
  const pct = overallProgress(stages);
  return (
    <div class="progress-block">
      {busy(episode) && (
        <>
          <div class="progress-line">
            <span>{current ? `${stageLabel(current.stage)}${current.message && current.state === "running" ? ` — ${current.message}` : ""}` : "Queued"}</span>
            <span class="muted">{pct}%</span>
          </div>
          <progress max={100} value={pct} aria-label={`Processing ${episode.title}`} aria-valuetext={`${pct} percent`} />
        </>
      )}
      {failed.map((j) => (
        <div class="stage-failed" key={j.id}>
          <p class="error">{stageLabel(j.stage)} failed: {j.error || j.message || "no reason given"}</p>
          <button class="small" aria-label={`Retry ${stageLabel(j.stage).toLowerCase()} for ${episode.title}`}
            onClick={() => attempt(async () => {
              await post(`/api/jobs/${j.id}/retry`);
              notify("Queued again.");
              onChange();
            })}>Retry</button>
        </div>
      ))}
    </div>
  );
}
