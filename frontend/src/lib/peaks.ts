// Waveform peaks from the server (audiowaveform formats), never decoded audio: a 3-hour
// episode's fine peaks are ~2 MB as 8-bit .dat, while its decoded PCM would be gigabytes.
import { ApiError } from "../api/client";

export interface Peaks { data: Float32Array; pixelsPerSecond: number }

const HEADER_BYTES = 24; // v2: version, flags, sample rate, samples per pixel, length, channels
const FLAG_8BIT = 1;

/** Parse the binary .dat form: interleaved (min, max) pairs, 8 or 16 bit, normalised to ±1. */
export function parseDat(buffer: ArrayBuffer): Peaks {
  const view = new DataView(buffer);
  const version = view.getInt32(0, true);
  const flags = view.getUint32(4, true);
  const sampleRate = view.getInt32(8, true);
  const samplesPerPixel = view.getInt32(12, true);
  const length = view.getUint32(16, true);
  const offset = version >= 2 ? HEADER_BYTES : 20;
  const eight = (flags & FLAG_8BIT) !== 0;
  const raw = eight
    ? new Int8Array(buffer, offset, length * 2)
    : new Int16Array(buffer.slice(offset, offset + length * 4));
  const scale = eight ? 128 : 32768;
  const data = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) data[i] = raw[i] / scale;
  return { data, pixelsPerSecond: sampleRate / samplesPerPixel };
}

/** Pixels per second for a given number of points over the whole episode, within 1..100. */
export function densityFor(durationS: number, points: number): number {
  return Math.max(1, Math.min(100, Math.floor(points / Math.max(durationS, 1))));
}

const cache = new Map<string, Promise<Peaks>>();

export function fetchPeaks(episodeId: number, pixelsPerSecond: number, version: string): Promise<Peaks> {
  const url =
    `/api/episodes/${episodeId}/peaks?format=dat&pixels_per_second=${pixelsPerSecond}` +
    (version ? `&v=${encodeURIComponent(version)}` : "");
  let found = cache.get(url);
  if (!found) {
    found = fetch(url, { credentials: "same-origin" }).then(async (r) => {
      if (!r.ok) throw new ApiError(`The waveform could not be loaded (HTTP ${r.status}).`, r.status);
      return parseDat(await r.arrayBuffer());
    });
    found.catch(() => cache.delete(url));
    cache.set(url, found);
  }
  return found;
}
