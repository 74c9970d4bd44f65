// One way to talk to the API: JSON in and out, the CSRF header on writes, and every failure
// turned into an ApiError whose message a person can read (the server's `detail`, or what
// went wrong on the way), so no error ends in silence.
import { signal } from "@preact/signals";
import type { AppConfig, Session } from "./types";

export const session = signal<Session | null>(null);
let csrf: string | null = null;

export class ApiError extends Error {
  /** `detail` is the server's own, for forms that show each message by its field */
  constructor(message: string, readonly status: number, readonly detail: unknown = null) {
    super(message);
  }
}

/** The messages of a failed request by field (a 422's `loc`, else a field its sentence names,
 * else "" for the form as a whole), so a form can show each next to the control it is about. */
export function fieldErrors(err: unknown, fields: string[]): Record<string, string> {
  if (!(err instanceof ApiError)) return { "": (err as Error)?.message ?? String(err) };
  const out: Record<string, string> = {};
  const add = (field: string, message: string) => {
    out[field] = out[field] ? `${out[field]}; ${message}` : message;
  };
  if (Array.isArray(err.detail)) {
    for (const d of err.detail as { msg?: string; loc?: unknown[] }[]) {
      const field = String((d.loc || []).slice(-1)[0] ?? "");
      if (fields.includes(field)) add(field, capitalise(String(d.msg)));
      else add("", describe(err.status, { detail: [d] }));
    }
    return out;
  }
  const named = fields.find((f) => new RegExp(`\\b${f}\\b`, "i").test(err.message));
  add(named ?? "", err.message);
  return out;
}

export function readConfig(): AppConfig {
  const el = document.getElementById("sb-config");
  const defaults: AppConfig = {
    clip_min_ms: 1000, clip_max_ms: 300_000, public_library: false, style_nonce: "",
  };
  return el ? { ...defaults, ...JSON.parse(el.textContent || "{}") } : defaults;
}
export const config = readConfig();

/** FastAPI answers {"detail": "..."} for our errors and {"detail": [{msg, loc}]} for
 * validation errors; both become one sentence. */
export function describe(status: number, body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string" && detail) return capitalise(detail);
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((d: { msg?: string; loc?: unknown[] }) => {
        const field = (d.loc || []).filter((p) => p !== "body").join(".");
        return field ? `${field}: ${d.msg}` : String(d.msg);
      })
      .join("; ");
  }
  if (status === 413) return "That file is too large for this server.";
  if (status >= 500) return `The server failed (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function csrfHeader(): Record<string, string> {
  return csrf ? { "X-CSRF-Token": csrf } : {};
}

/** The token itself, for `navigator.sendBeacon`, which cannot send headers: the listening
 * beacon carries it in its body instead (routes/analytics.py). */
export function csrfToken(): string | null {
  return csrf;
}

export function setSession(s: Session | null): void {
  session.value = s;
  csrf = s?.csrf_token ?? null;
}

export function signInUrl(): string {
  const here = location.pathname + location.search;
  return `/login?next=${encodeURIComponent(here)}`;
}

export async function request<T>(
  method: string, url: string, body?: unknown, init: RequestInit = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...csrfHeader() };
  // a form (a file upload) sets its own multipart Content-Type with the boundary
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : form ? body : JSON.stringify(body), ...init,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError("Cannot reach the server. Check your connection and try again.", 0);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 && method !== "GET" && session.value) {
      // the session ended while the app was open: sign in again and come back here
      location.assign(signInUrl());
    }
    throw new ApiError(
      describe(response.status, data), response.status, (data as { detail?: unknown } | null)?.detail ?? null,
    );
  }
  return data as T;
}

export const get = <T>(url: string, init?: RequestInit) => request<T>("GET", url, undefined, init);
export const post = <T>(url: string, body?: unknown) => request<T>("POST", url, body ?? {});
export const patch = <T>(url: string, body: unknown) => request<T>("PATCH", url, body);
export const del = (url: string) => request<void>("DELETE", url);
export const put = <T>(url: string, body?: unknown) => request<T>("PUT", url, body ?? {});

export async function loadSession(): Promise<void> {
  try {
    setSession(await get<Session>("/api/auth/me"));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) setSession(null);
    else throw err;
  }
}

export async function signOut(): Promise<void> {
  try {
    await post("/api/auth/logout");
  } finally {
    setSession(null);
    location.assign("/login");
  }
}
