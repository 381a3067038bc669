// The search box's language: Discord's `from:`, `mentions:`, `in:`, `has:`, `before:`, `after:`,
// `during:` and `pinned:` filters, the rest is text. Turns it into the search API's query string.

export interface Directory {
  /** Resolves a typed user name (username or display name) to an id. */
  user(name: string): string | undefined;
  /** Resolves a channel name to an id. */
  channel(name: string): string | undefined;
}

export const FILTERS = ["from:", "mentions:", "in:", "has:", "before:", "after:", "during:", "pinned:"] as const;
export const HAS = ["link", "embed", "file", "image", "video", "sound", "poll"];

const EPOCH = 1420070400000;

/** The smallest snowflake minted at `ms`. */
export function snowflakeAt(ms: number): string {
  return (BigInt(Math.max(0, ms - EPOCH)) << 22n).toString();
}

function day(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
  return Number.isNaN(t) ? null : t;
}

/** Splits into tokens, keeping `"quoted words"` together. */
function tokens(q: string): string[] {
  return [...q.matchAll(/(\w+:)?"([^"]*)"|\S+/g)].map((m) => (m[2] !== undefined ? `${m[1] ?? ""}${m[2]}` : m[0]));
}

export function parseSearch(q: string, dir: Directory): { params: URLSearchParams; errors: string[] } {
  const params = new URLSearchParams();
  const errors: string[] = [];
  const words: string[] = [];
  for (const t of tokens(q)) {
    const i = t.indexOf(":");
    const key = i > 0 ? t.slice(0, i + 1).toLowerCase() : "";
    const val = i > 0 ? t.slice(i + 1) : "";
    if (!(FILTERS as readonly string[]).includes(key) || !val) {
      words.push(t);
      continue;
    }
    switch (key) {
      case "from:":
      case "mentions:": {
        const id = dir.user(val.replace(/^@/, ""));
        if (id) params.append(key === "from:" ? "author_id" : "mentions", id);
        else errors.push(`No member called ${val}.`);
        break;
      }
      case "in:": {
        const id = dir.channel(val.replace(/^#/, ""));
        if (id) params.append("channel_id", id);
        else errors.push(`No channel called ${val}.`);
        break;
      }
      case "has:":
        if (HAS.includes(val)) params.append("has", val);
        else errors.push(`has: takes ${HAS.join(", ")}.`);
        break;
      case "pinned:":
        params.set("pinned", val === "true" || val === "yes" ? "true" : "false");
        break;
      default: {
        const t0 = day(val);
        if (t0 === null) {
          errors.push(`${key} takes a date like 2026-11-24.`);
          break;
        }
        if (key === "before:") params.set("max_id", snowflakeAt(t0));
        if (key === "after:") params.set("min_id", snowflakeAt(t0 + 86_400_000));
        if (key === "during:") {
          params.set("min_id", snowflakeAt(t0));
          params.set("max_id", snowflakeAt(t0 + 86_400_000));
        }
      }
    }
  }
  if (words.length) params.set("content", words.join(" "));
  return { params, errors };
}

/** Suggestions for the token being typed (the last one). */
export function suggest(q: string, users: string[], channels: string[]): string[] {
  const last = q.split(/\s+/).at(-1) ?? "";
  const i = last.indexOf(":");
  if (i < 0) return last ? FILTERS.filter((f) => f.startsWith(last.toLowerCase()) && f !== last) : [];
  const key = last.slice(0, i + 1).toLowerCase();
  const typed = last.slice(i + 1).toLowerCase();
  const pool = key === "from:" || key === "mentions:" ? users : key === "in:" ? channels : key === "has:" ? HAS : key === "pinned:" ? ["true", "false"] : [];
  return pool.filter((v) => v.toLowerCase().startsWith(typed) && v.toLowerCase() !== typed).slice(0, 8).map((v) => `${key}${v}`);
}
