// Uploads go through XMLHttpRequest because fetch() still cannot report upload progress.
import { ApiError, csrfHeader, describe } from "./client";
import type { EpisodeDetail } from "./types";

export interface UploadFields { file: File; title?: string; transcript?: File | null }

export function uploadEpisode(
  fields: UploadFields, onProgress: (fraction: number) => void, signal?: AbortSignal,
): Promise<EpisodeDetail> {
  const form = new FormData();
  if (fields.title) form.append("title", fields.title);
  if (fields.transcript) form.append("transcript", fields.transcript);
  form.append("file", fields.file);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/episodes");
    for (const [k, v] of Object.entries(csrfHeader())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as EpisodeDetail);
      else reject(new ApiError(describe(xhr.status, body), xhr.status));
    };
    xhr.onerror = () => reject(new ApiError("The upload was interrupted: check the connection.", 0));
    xhr.onabort = () => reject(new ApiError("Upload cancelled.", 0));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(form);
  });
}
