// The REST client: one fetch wrapper that adds the token, parses Discord-shaped errors and
// flattens per-field errors for forms.

export const API = "/api/v10";

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: number,
    message: string,
    public errors: Record<string, unknown> | undefined,
    public retryAfter?: number,
    /** The whole error body (AutoMod adds `custom_message`). */
    public body: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** Field path -> first error message, e.g. {"username": "Username is unavailable."}. */
  fields(): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (node: unknown, path: string[]) => {
      if (!node || typeof node !== "object") return;
      const obj = node as Record<string, unknown>;
      const errs = obj._errors as { message: string }[] | undefined;
      if (errs?.length) out[path.join(".") || "_root"] = errs[0].message;
      for (const [k, v] of Object.entries(obj)) if (k !== "_errors") walk(v, [...path, k]);
    };
    walk(this.errors, []);
    return out;
  }
}

let token: string | null = localStorage.getItem("coterie.token");

export function getToken() {
  return token;
}

export function setToken(t: string | null) {
  token = t;
  if (t) localStorage.setItem("coterie.token", t);
  else localStorage.removeItem("coterie.token");
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let resp: Response;
  for (let attempt = 0; ; attempt++) {
    resp = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (resp.status !== 429 || attempt >= 2) break;
    const data = await resp.clone().json().catch(() => ({}));
    if (data.code === 20016) break;
    await new Promise((r) => setTimeout(r, Math.min(5000, (data.retry_after ?? 1) * 1000)));
  }
  if (resp.status === 204) return undefined as T;
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    if (resp.status === 401 && token && path !== "/auth/login") {
      setToken(null);
      window.dispatchEvent(new Event("coterie:logout"));
    }
    throw new ApiError(resp.status, data.code ?? 0, data.message ?? resp.statusText, data.errors, data.retry_after, data);
  }
  return data as T;
}

export type Snowflake = string;

/** Creation time of a snowflake id (ms since the Unix epoch). */
export function snowflakeTime(id: Snowflake): number {
  return Number(BigInt(id) >> 22n) + 1420070400000;
}

/** Sort comparator for snowflake ids. */
export function compareIds(a: Snowflake, b: Snowflake): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
