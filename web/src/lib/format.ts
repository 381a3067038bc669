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

export function timeOf(ts: string): string {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function dayOf(ts: string): string {
  return new Date(ts).toLocaleDateString([], { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

export function initial(name: string): string {
  return [...name.trim()][0]?.toUpperCase() ?? "?";
}
