/** m:ss (h:mm:ss from an hour on), as players show a position; the server's clock() agrees. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds + 1e-6));
  const h = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** With tenths: the clip tool's precision. */
export function clockTenths(seconds: number): string {
  const tenths = Math.round(Math.max(0, seconds) * 10);
  return `${clock(Math.floor(tenths / 10))}.${tenths % 10}`;
}

/** "1 min 5 s": for lengths, read aloud well by screen readers. */
export function length(seconds: number): string {
  const tenths = Math.round(seconds * 10) / 10;
  if (tenths < 60) return `${tenths.toFixed(1)} s`;
  const m = Math.floor(tenths / 60);
  const s = Math.round(tenths - m * 60);
  return s ? `${m} min ${s} s` : `${m} min`;
}

export function spokenClock(seconds: number): string {
  const s = Math.floor(seconds);
  const parts = [];
  if (s >= 3600) parts.push(`${Math.floor(s / 3600)} hours`);
  if (s >= 60) parts.push(`${Math.floor((s % 3600) / 60)} minutes`);
  parts.push(`${s % 60} seconds`);
  return parts.join(" ");
}

export function date(iso: string | null): string {
  if (!iso) return "";
  return new Date(iso).toLocaleDateString(undefined, {
    year: "numeric", month: "short", day: "numeric",
  });
}
