// The client's state and the one function that applies gateway dispatches to it. Components read
// the store; only `applyEvent` and the explicit actions in `actions.ts` write it.
import { createStore, produce, reconcile, type SetStoreFunction } from "solid-js/store";
import type * as T from "../api/types";
import { compareIds } from "../api/client";
import type { GatewayStatus } from "../gateway";

export type Channel = T.Channel;
export type Message = T.Message & { pending?: "sending" | "failed" };
export type Member = T.Member;
export type Role = T.Role;
export type User = T.User;

export interface GuildState {
  id: string;
  name: string;
  icon: string | null;
  owner_id: string;
  system_channel_id: string | null;
  description: string | null;
  verification_level: number;
  roles: Role[];
  members: Record<string, Member>;
  member_count: number;
  emojis: T.Emoji[];
}

export interface ChannelMessages {
  list: Message[];
  hasMore: boolean;
  loaded: boolean;
}

export interface ReadState {
  last: string | null;
  mentions: number;
  unread: number;
}

export interface State {
  me: T.CurrentUser | null;
  guilds: Record<string, GuildState>;
  guildOrder: string[];
  channels: Record<string, Channel>;
  dms: string[];
  messages: Record<string, ChannelMessages>;
  users: Record<string, User>;
  presences: Record<string, string>;
  typing: Record<string, Record<string, number>>;
  reads: Record<string, ReadState>;
  status: GatewayStatus;
  activeChannel: string | null;
  /** The last guild removed by GUILD_DELETE (views of it close). */
  removedGuild: string | null;
  /** Live forum scores from VOTE_UPDATE, by post id or `post:message`. */
  votes: Record<string, Score>;
  /** Bumped when a forum's posts or a post's comments change (views refetch). */
  bumps: Record<string, number>;
  /** Voice states by guild, then user. */
  voice: Record<string, Record<string, VoiceState>>;
  /** Who is speaking in the voice channel we are in (from the media server). */
  speaking: Record<string, boolean>;
}

export interface VoiceState {
  channel_id: string;
  user_id: string;
  session_id: string;
  mute: boolean;
  deaf: boolean;
  self_mute: boolean;
  self_deaf: boolean;
  self_video: boolean;
  self_stream?: boolean;
  suppress: boolean;
  request_to_speak_timestamp: string | null;
}

export interface Score {
  score: number;
  upvotes: number;
  downvotes: number;
}

/** The key of a post's or comment's live score. */
export function voteKey(post: string, message?: string | null): string {
  return message && message !== post ? `${post}:${message}` : post;
}

export function emptyState(): State {
  return {
    me: null,
    guilds: {},
    guildOrder: [],
    channels: {},
    dms: [],
    messages: {},
    users: {},
    presences: {},
    typing: {},
    reads: {},
    status: "connecting",
    activeChannel: null,
    removedGuild: null,
    votes: {},
    bumps: {},
    voice: {},
    speaking: {},
  };
}

export function makeStore() {
  return createStore<State>(emptyState());
}

export const [state, setState] = makeStore();

function rememberUser(s: State, u: User | undefined | null) {
  if (u?.id) s.users[u.id] = { ...s.users[u.id], ...u };
}

function guildFromCreate(d: any): GuildState {
  const members: Record<string, Member> = {};
  for (const m of d.members ?? []) if (m.user) members[m.user.id] = m;
  return {
    id: d.id,
    name: d.name,
    icon: d.icon,
    owner_id: d.owner_id,
    system_channel_id: d.system_channel_id,
    description: d.description ?? null,
    verification_level: d.verification_level ?? 0,
    roles: d.roles ?? [],
    members,
    member_count: d.member_count ?? Object.keys(members).length,
    emojis: d.emojis ?? [],
  };
}

/** Whether a message mentions the current user (directly, by role, or @everyone). */
export function mentionsMe(s: State, m: Message): boolean {
  const me = s.me?.id;
  if (!me || m.author.id === me) return false;
  if (m.mention_everyone) return true;
  if (m.mentions.some((u) => u.id === me)) return true;
  const g = m.guild_id ? s.guilds[m.guild_id] : undefined;
  const roles = g?.members[me]?.roles ?? [];
  return m.mention_roles.some((r) => roles.includes(r));
}

function insertSorted(list: Message[], m: Message) {
  const i = list.findIndex((x) => x.id === m.id);
  if (i >= 0) {
    list[i] = m;
    return;
  }
  // Replace the optimistic copy (same nonce, from me).
  if (m.nonce != null) {
    const j = list.findIndex((x) => x.pending && x.nonce === m.nonce);
    if (j >= 0) list.splice(j, 1);
  }
  let k = list.length;
  while (k > 0 && compareIds(list[k - 1].id, m.id) > 0 && !list[k - 1].pending) k--;
  list.splice(k, 0, m);
}

/** Applies one dispatch. */
export function applyEvent(set: SetStoreFunction<State>, t: string, d: any) {
  set(
    produce((s: State) => {
      switch (t) {
        case "READY": {
          // A new session: keep what is shown (guilds listed in READY are refreshed by their
          // GUILD_CREATE, loaded history is refetched) and drop guilds no longer listed.
          const listed = new Set<string>((d.guilds ?? []).map((g: { id: string }) => g.id));
          for (const gid of Object.keys(s.guilds)) {
            if (!listed.has(gid)) {
              delete s.guilds[gid];
              s.removedGuild = gid;
            }
          }
          s.guildOrder = s.guildOrder.filter((g) => listed.has(g));
          for (const [id, c] of Object.entries(s.channels)) if (c.guild_id && !listed.has(c.guild_id)) delete s.channels[id];
          s.me = d.user;
          s.dms = [];
          s.reads = {};
          s.typing = {};
          rememberUser(s, d.user);
          for (const c of d.private_channels ?? []) {
            s.channels[c.id] = c;
            s.dms.push(c.id);
            for (const u of c.recipients ?? []) rememberUser(s, u);
          }
          for (const e of d.read_state?.entries ?? []) {
            s.reads[e.id] = { last: e.last_message_id, mentions: e.mention_count ?? 0, unread: e.unread_count ?? 0 };
          }
          break;
        }
        case "USER_UPDATE":
          if (s.me && d.id === s.me.id) s.me = { ...s.me, ...d };
          rememberUser(s, d);
          break;
        case "GUILD_CREATE": {
          s.guilds[d.id] = guildFromCreate(d);
          if (!s.guildOrder.includes(d.id)) s.guildOrder.push(d.id);
          for (const [id, c] of Object.entries(s.channels)) if (c.guild_id === d.id && !(d.channels ?? []).some((x: Channel) => x.id === id)) delete s.channels[id];
          for (const c of d.channels ?? []) s.channels[c.id] = { ...c, guild_id: d.id };
          for (const m of d.members ?? []) rememberUser(s, m.user);
          for (const p of d.presences ?? []) s.presences[p.user.id] = p.status;
          s.voice[d.id] = {};
          for (const v of d.voice_states ?? []) s.voice[d.id][v.user_id] = v;
          break;
        }
        case "VOICE_STATE_UPDATE": {
          if (!d.guild_id) break;
          const g = (s.voice[d.guild_id] ??= {});
          if (d.channel_id) {
            const { member, guild_id, ...v } = d;
            g[d.user_id] = v;
            if (member?.user) rememberUser(s, member.user);
          } else {
            delete g[d.user_id];
            delete s.speaking[d.user_id];
          }
          break;
        }
        case "GUILD_UPDATE": {
          const g = s.guilds[d.id];
          if (g) Object.assign(g, { name: d.name, icon: d.icon, owner_id: d.owner_id, system_channel_id: d.system_channel_id, description: d.description, verification_level: d.verification_level ?? g.verification_level, roles: d.roles ?? g.roles });
          break;
        }
        case "GUILD_DELETE": {
          delete s.guilds[d.id];
          delete s.voice[d.id];
          s.removedGuild = d.id;
          s.guildOrder = s.guildOrder.filter((g) => g !== d.id);
          for (const [id, c] of Object.entries(s.channels)) if (c.guild_id === d.id) delete s.channels[id];
          break;
        }
        case "GUILD_EMOJIS_UPDATE": {
          const g = s.guilds[d.guild_id];
          if (g) g.emojis = d.emojis ?? [];
          break;
        }
        case "GUILD_ROLE_CREATE":
        case "GUILD_ROLE_UPDATE": {
          const g = s.guilds[d.guild_id];
          if (!g) break;
          const i = g.roles.findIndex((r) => r.id === d.role.id);
          if (i >= 0) g.roles[i] = d.role;
          else g.roles.push(d.role);
          break;
        }
        case "GUILD_ROLE_DELETE": {
          const g = s.guilds[d.guild_id];
          if (!g) break;
          g.roles = g.roles.filter((r) => r.id !== d.role_id);
          for (const m of Object.values(g.members)) m.roles = m.roles.filter((r) => r !== d.role_id);
          break;
        }
        case "GUILD_MEMBER_ADD":
        case "GUILD_MEMBER_UPDATE": {
          const g = s.guilds[d.guild_id];
          if (!g) break;
          const { guild_id: _, ...m } = d;
          if (t === "GUILD_MEMBER_ADD" && !g.members[d.user.id]) g.member_count++;
          g.members[d.user.id] = { ...g.members[d.user.id], ...m };
          rememberUser(s, d.user);
          break;
        }
        case "GUILD_MEMBER_REMOVE": {
          const g = s.guilds[d.guild_id];
          if (!g) break;
          if (g.members[d.user.id]) delete g.members[d.user.id];
          g.member_count = Math.max(0, g.member_count - 1);
          break;
        }
        case "GUILD_MEMBERS_CHUNK": {
          const g = s.guilds[d.guild_id];
          if (!g) break;
          for (const m of d.members ?? []) {
            g.members[m.user.id] = m;
            rememberUser(s, m.user);
          }
          for (const p of d.presences ?? []) s.presences[p.user.id] = p.status;
          break;
        }
        case "CHANNEL_CREATE":
        case "CHANNEL_UPDATE": {
          s.channels[d.id] = { ...s.channels[d.id], ...d };
          if ((d.type === 1 || d.type === 3) && !s.dms.includes(d.id)) {
            s.dms.push(d.id);
            for (const u of d.recipients ?? []) rememberUser(s, u);
          }
          break;
        }
        case "CHANNEL_DELETE": {
          delete s.channels[d.id];
          s.dms = s.dms.filter((c) => c !== d.id);
          break;
        }
        case "MESSAGE_CREATE": {
          const m = d as Message;
          rememberUser(s, m.author);
          s.bumps[m.channel_id] = (s.bumps[m.channel_id] ?? 0) + 1;
          const ch = s.channels[m.channel_id];
          if (ch) ch.last_message_id = m.id;
          const box = s.messages[m.channel_id];
          if (box?.loaded) insertSorted(box.list, m);
          if (m.author.id !== s.me?.id && s.activeChannel !== m.channel_id) {
            const r = (s.reads[m.channel_id] ??= { last: null, mentions: 0, unread: 0 });
            r.unread++;
            if (mentionsMe(s, m)) r.mentions++;
          }
          if (s.typing[m.channel_id]) delete s.typing[m.channel_id][m.author.id];
          break;
        }
        case "VOTE_UPDATE":
          s.votes[voteKey(d.channel_id, d.message_id)] = { score: d.score, upvotes: d.upvotes, downvotes: d.downvotes };
          break;
        case "THREAD_CREATE":
        case "THREAD_UPDATE":
        case "THREAD_DELETE":
          if (d.parent_id) s.bumps[d.parent_id] = (s.bumps[d.parent_id] ?? 0) + 1;
          s.bumps[d.id] = (s.bumps[d.id] ?? 0) + 1;
          break;
        case "MESSAGE_UPDATE": {
          const box = s.messages[d.channel_id];
          const i = box?.list.findIndex((x) => x.id === d.id) ?? -1;
          if (box && i >= 0) box.list[i] = { ...box.list[i], ...d };
          break;
        }
        case "MESSAGE_DELETE": {
          s.bumps[d.channel_id] = (s.bumps[d.channel_id] ?? 0) + 1;
          const box = s.messages[d.channel_id];
          if (box) box.list = box.list.filter((x) => x.id !== d.id);
          break;
        }
        case "MESSAGE_DELETE_BULK": {
          const box = s.messages[d.channel_id];
          if (box) box.list = box.list.filter((x) => !d.ids.includes(x.id));
          break;
        }
        case "MESSAGE_REACTION_ADD":
        case "MESSAGE_REACTION_REMOVE": {
          const m = s.messages[d.channel_id]?.list.find((x) => x.id === d.message_id);
          if (!m) break;
          const same = (r: T.Reaction) => r.emoji.name === d.emoji.name && (r.emoji.id ?? null) === (d.emoji.id ?? null);
          const mine = d.user_id === s.me?.id;
          let r = m.reactions.find(same);
          if (t === "MESSAGE_REACTION_ADD") {
            if (!r) {
              m.reactions.push({ count: 0, count_details: { burst: 0, normal: 0 }, me: false, me_burst: false, emoji: d.emoji, burst_colors: [] });
              r = m.reactions[m.reactions.length - 1];
            }
            if (mine && r.me) break;
            r.count++;
            r.count_details.normal++;
            if (mine) r.me = true;
          } else if (r) {
            if (mine && !r.me) break;
            r.count = Math.max(0, r.count - 1);
            r.count_details.normal = r.count;
            if (mine) r.me = false;
            if (r.count === 0) m.reactions = m.reactions.filter((x) => !same(x));
          }
          break;
        }
        case "MESSAGE_REACTION_REMOVE_ALL": {
          const m = s.messages[d.channel_id]?.list.find((x) => x.id === d.message_id);
          if (m) m.reactions = [];
          break;
        }
        case "MESSAGE_REACTION_REMOVE_EMOJI": {
          const m = s.messages[d.channel_id]?.list.find((x) => x.id === d.message_id);
          if (m) m.reactions = m.reactions.filter((r) => r.emoji.name !== d.emoji.name);
          break;
        }
        case "MESSAGE_ACK": {
          s.reads[d.channel_id] = { last: d.message_id, mentions: 0, unread: 0 };
          break;
        }
        case "TYPING_START": {
          if (d.user_id === s.me?.id) break;
          (s.typing[d.channel_id] ??= {})[d.user_id] = Date.now() + 10_000;
          if (d.member?.user) rememberUser(s, d.member.user);
          break;
        }
        case "PRESENCE_UPDATE":
          s.presences[d.user.id] = d.status;
          break;
      }
    }),
  );
}

/** Replaces a channel's history (first load or after a reconnect). */
export function setHistory(set: SetStoreFunction<State>, channelId: string, list: Message[], hasMore: boolean) {
  set("messages", channelId, reconcile({ list, hasMore, loaded: true }));
}
