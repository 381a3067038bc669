// Sending a message with files: one multipart request (Discord's payload_json + files[n]) over
// XMLHttpRequest, which reports upload progress and can be aborted.
import { API, ApiError, getToken } from "../api/client";
import type { Message } from "../state/store";

/** Largest file the server takes by default (25 MiB); it has the last word. */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

export interface Upload {
  done: Promise<Message>;
  abort: () => void;
}

/** A human size: 1.2 MB, 340 KB, 12 bytes. */
export function formatSize(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

/** The form body: the JSON payload first, then each file as files[i]. */
export function buildForm(payload: Record<string, unknown>, files: File[]): FormData {
  const form = new FormData();
  const attachments = files.map((f, i) => ({ id: i, filename: f.name }));
  form.append("payload_json", JSON.stringify({ ...payload, attachments }));
  files.forEach((f, i) => form.append(`files[${i}]`, f, f.name));
  return form;
}

export function uploadMessage(channelId: string, payload: Record<string, unknown>, files: File[], onProgress: (fraction: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Message>((resolve, reject) => {
    xhr.open("POST", `${API}/channels/${channelId}/messages`);
    const t = getToken();
    if (t) xhr.setRequestHeader("Authorization", t);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const data = xhr.response ?? {};
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as Message);
      else reject(new ApiError(xhr.status, data.code ?? 0, data.message ?? xhr.statusText, data.errors, data.retry_after, data));
    };
    xhr.onerror = () => reject(new ApiError(0, 0, "The upload failed: no connection.", undefined));
    xhr.onabort = () => reject(new ApiError(0, -1, "Upload cancelled.", undefined));
    xhr.send(buildForm(payload, files));
  });
  return { done, abort: () => xhr.abort() };
}

/** A file as Discord's image data (`data:image/png;base64,…`) for avatars, icons and emoji. */
export function fileToDataUri(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(new Error("The file could not be read."));
    r.readAsDataURL(file);
  });
}
