// Discord's permission algorithm, mirrored from the server so the UI only offers what is allowed.
import type { Channel, GuildState } from "../state/store";

export const P = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_AUDIT_LOG: 1n << 7n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  STREAM: 1n << 9n,
  MUTE_MEMBERS: 1n << 22n,
  DEAFEN_MEMBERS: 1n << 23n,
  MOVE_MEMBERS: 1n << 24n,
  REQUEST_TO_SPEAK: 1n << 32n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  MANAGE_WEBHOOKS: 1n << 29n,
  MANAGE_GUILD_EXPRESSIONS: 1n << 30n,
  MANAGE_EVENTS: 1n << 33n,
  MODERATE_MEMBERS: 1n << 40n,
  CREATE_GUILD_EXPRESSIONS: 1n << 43n,
  PIN_MESSAGES: 1n << 51n,
} as const;

/** Plain-language names for the role editor. */
export const PERMISSION_TEXT: [keyof typeof P, string, string][] = [
  ["ADMINISTRATOR", "Administrator", "Every permission, and channel overrides do not apply. Grant with care."],
  ["MANAGE_GUILD", "Manage community", "Change the name, description and settings."],
  ["MANAGE_ROLES", "Manage roles", "Create and edit roles below their own, and channel permissions."],
  ["MANAGE_CHANNELS", "Manage channels", "Create, edit, reorder and delete channels."],
  ["KICK_MEMBERS", "Kick members", "Remove members; they can rejoin with an invite."],
  ["BAN_MEMBERS", "Ban members", "Remove members for good and delete their recent messages."],
  ["MODERATE_MEMBERS", "Time out members", "Stop members from talking for a while."],
  ["CREATE_INSTANT_INVITE", "Create invites", "Invite new people."],
  ["VIEW_CHANNEL", "View channels", "See channels and read them."],
  ["SEND_MESSAGES", "Send messages", "Talk in text channels."],
  ["READ_MESSAGE_HISTORY", "Read history", "Scroll back through earlier messages."],
  ["ADD_REACTIONS", "Add reactions", "React with new emoji."],
  ["ATTACH_FILES", "Attach files", "Upload images and files with messages."],
  ["MANAGE_GUILD_EXPRESSIONS", "Manage emoji", "Add, rename and delete anyone's custom emoji."],
  ["MENTION_EVERYONE", "Mention @everyone", "Notify the whole community at once."],
  ["MANAGE_MESSAGES", "Manage messages", "Delete others' messages and pin."],
  ["PIN_MESSAGES", "Pin messages", "Pin and unpin messages."],
  ["CHANGE_NICKNAME", "Change nickname", "Set their own nickname."],
  ["MANAGE_NICKNAMES", "Manage nicknames", "Change other members' nicknames."],
  ["MANAGE_WEBHOOKS", "Manage webhooks", "Create webhooks that post into channels."],
  ["MANAGE_EVENTS", "Manage events", "Schedule and edit events."],
  ["CONNECT", "Connect to voice", "Join voice channels."],
  ["SPEAK", "Speak", "Talk in voice channels."],
];

const ALL = (1n << 53n) - 1n;

export function basePermissions(g: GuildState, userId: string): bigint {
  if (g.owner_id === userId) return ALL;
  const member = g.members[userId];
  let p = BigInt(g.roles.find((r) => r.id === g.id)?.permissions ?? "0");
  for (const rid of member?.roles ?? []) {
    const r = g.roles.find((x) => x.id === rid);
    if (r) p |= BigInt(r.permissions);
  }
  if (p & P.ADMINISTRATOR) return ALL;
  return p;
}

export function channelPermissions(g: GuildState, ch: Channel, userId: string): bigint {
  let p = basePermissions(g, userId);
  if (p === ALL) return ALL;
  const ows = ch.permission_overwrites ?? [];
  const everyone = ows.find((o) => o.type === 0 && o.id === g.id);
  if (everyone) p = (p & ~BigInt(everyone.deny ?? "0")) | BigInt(everyone.allow ?? "0");
  const roles = g.members[userId]?.roles ?? [];
  let allow = 0n;
  let deny = 0n;
  for (const o of ows) {
    if (o.type === 0 && roles.includes(o.id)) {
      allow |= BigInt(o.allow ?? "0");
      deny |= BigInt(o.deny ?? "0");
    }
  }
  p = (p & ~deny) | allow;
  const mine = ows.find((o) => o.type === 1 && o.id === userId);
  if (mine) p = (p & ~BigInt(mine.deny ?? "0")) | BigInt(mine.allow ?? "0");
  if (!(p & P.VIEW_CHANNEL)) return 0n;
  return p;
}

export function has(p: bigint, bit: bigint) {
  return (p & bit) === bit;
}
