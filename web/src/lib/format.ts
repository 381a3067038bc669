import type { GuildState, User } from "../state/store";

export function displayName(u: User | undefined, g?: GuildState): string {
  if (!u) return "Unknown";
  return g?.members[u.id]?.nick ?? u.global_name ?? u.username;
}

/** The colour of a member's highest coloured role, as CSS. */
export function roleColor(g: GuildState | undefined, userId: string): string | undefined {
  if (!g) return undefined;
  const ids = g.members[userId]?.roles ?? [];
  const r = g.roles.filter((x) => ids.includes(x.id) && x.color).sort((a, b) => b.position - a.position)[0];
  return r ? `#${r.color.toString(16).padStart(6, "0")}` : undefined;
}

// Formatters are built once: toLocale*String with options builds a new Intl formatter per call,
// which dominated the cost of laying out thousands of messages.
const TIME = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit" });
const DAY = new Intl.DateTimeFormat([], { weekday: "long", year: "numeric", month: "long", day: "numeric" });

export function timeOf(ts: string): string {
  return TIME.format(new Date(ts));
}

const DATE_TIME = new Intl.DateTimeFormat([], { dateStyle: "short", timeStyle: "medium" });

export function dateTimeOf(ts: string): string {
  return DATE_TIME.format(new Date(ts));
}

export function dayOf(ts: string | number): string {
  return DAY.format(new Date(ts));
}

/** A cheap local-calendar-day number for grouping (yyyymmdd). */
export function dayNumber(ms: number): number {
  const d = new Date(ms);
  return d.getFullYear() * 10000 + d.getMonth() * 100 + d.getDate();
}

export function initial(name: string): string {
  return [...name.trim()][0]?.toUpperCase() ?? "?";
}
