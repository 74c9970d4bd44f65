import { useEffect, useRef, useState } from "preact/hooks";
import { reportError } from "./toast";

export interface Loaded<T> { data: T | null; error: string | null; loading: boolean; reload: () => void }

/** Fetch on mount and when `deps` change; `pollMs(data)` > 0 refetches quietly after that long. */
export function useLoad<T>(
  fn: (signal: AbortSignal) => Promise<T>, deps: unknown[], pollMs?: (data: T) => number,
): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [nonce, setNonce] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    const ctl = new AbortController();
    let timer = 0;
    const run = async (first: boolean) => {
      if (first) setLoading(true);
      try {
        const value = await fnRef.current(ctl.signal);
        if (ctl.signal.aborted) return;
        setData(value);
        setError(null);
        const wait = pollMs ? pollMs(value) : 0;
        if (wait > 0) timer = window.setTimeout(() => run(false), wait);
      } catch (err) {
        if (ctl.signal.aborted) return;
        setError((err as Error).message);
        // a failed poll tries again later rather than freezing the progress bars
        if (!first && pollMs) timer = window.setTimeout(() => run(false), 5000);
      } finally {
        if (!ctl.signal.aborted) setLoading(false);
      }
    };
    void run(true);
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [...deps, nonce]);
  return { data, error, loading, reload: () => setNonce((n) => n + 1) };
}

/** Run an action, reporting its failure as a readable message; returns whether it worked. */
export async function attempt(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    reportError(err);
    return false;
  }
}
