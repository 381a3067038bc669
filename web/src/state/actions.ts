// Everything the UI does: REST calls, optimistic updates, the gateway connection and read states.
import { ApiError, api, compareIds, getToken, setToken } from "../api/client";
import type * as T from "../api/types";
import { Gateway } from "../gateway";
import * as voice from "../voice";
import { applyEvent, type Message, setHistory, setState, state } from "./store";
import { produce } from "solid-js/store";
import { type Upload, uploadMessage } from "../lib/upload";

let gateway: Gateway | null = null;
let nonceCounter = 0;

export function connect() {
  const token = getToken();
  if (!token || gateway) return;
  gateway = new Gateway(
    token,
    (t, d) => {
      applyEvent(setState, t, d);
      if (t === "VOICE_SERVER_UPDATE") voice.onServerUpdate(d);
      if (t === "VOICE_STATE_UPDATE" && d.user_id === state.me?.id) voice.onOwnState(d);
      if (t === "READY" || t === "RESUMED") refreshOpenChannel();
      if (t === "MESSAGE_CREATE" && d.channel_id === state.activeChannel && d.author.id !== state.me?.id && document.hasFocus()) ack(d.channel_id);
    },
    (s) => setState("status", s),
  );
  const gw = gateway;
  voice.bindGateway((op, d) => gw.send(op, d), () => gw.session(), () => state.me?.id ?? null);
  (window as any).coterieVoice = voice.peerConnection;
  (window as any).coterieVoiceTracks = voice.trackOwners;
  gateway.start();
}

export function disconnect() {
  gateway?.stop();
  gateway = null;
}

export async function logout(everywhere = false) {
  try {
    if (everywhere) {
      // A password change is what revokes every token; logging out revokes this one.
    }
    await api("POST", "/auth/logout");
  } catch {
    /* the token may already be gone */
  }
  disconnect();
  setToken(null);
  location.href = "/login";
}

export function requestMembers(guildId: string) {
  gateway?.send(8, { guild_id: guildId, query: "", limit: 0, presences: true });
}

export function setPresence(status: string) {
  gateway?.send(3, { since: null, activities: [], status, afk: false });
}

const PAGE = 50;

export async function loadHistory(channelId: string) {
  const list = await api<Message[]>("GET", `/channels/${channelId}/messages?limit=${PAGE}`);
  setHistory(setState, channelId, list.reverse(), list.length === PAGE);
}

export async function loadOlder(channelId: string) {
  const box = state.messages[channelId];
  if (!box?.hasMore) return;
  const oldest = box.list.find((m) => !m.pending);
  if (!oldest) return;
  const older = await api<Message[]>("GET", `/channels/${channelId}/messages?limit=${PAGE}&before=${oldest.id}`);
  setState(
    produce((s) => {
      const b = s.messages[channelId];
      const have = new Set(b.list.map((m) => m.id));
      b.list.unshift(...older.reverse().filter((m) => !have.has(m.id)));
      b.hasMore = older.length === PAGE;
    }),
  );
}

/** After a reconnect, fetch what the open channel missed. */
function refreshOpenChannel() {
  const c = state.activeChannel;
  if (c && state.messages[c]?.loaded) loadHistory(c).catch(() => {});
}

export async function ack(channelId: string) {
  const ch = state.channels[channelId];
  const last = ch?.last_message_id ?? state.messages[channelId]?.list.filter((m) => !m.pending).at(-1)?.id;
  const r = state.reads[channelId];
  setState("reads", channelId, { last: last ?? null, mentions: 0, unread: 0 });
  if (!last || (r && r.last && compareIds(r.last, last) >= 0 && r.unread === 0)) return;
  await api("POST", `/channels/${channelId}/messages/${last}/ack`).catch(() => {});
}

export async function sendMessage(channelId: string, content: string, replyTo?: string) {
  const nonce = `${Date.now()}${nonceCounter++}`.slice(-25);
  const me = state.me;
  if (!me) return;
  const pending: Message = {
    id: `pending-${nonce}`,
    channel_id: channelId,
    author: me,
    content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    reactions: [],
    pinned: false,
    type: replyTo ? 19 : 0,
    flags: 0,
    components: [],
    nonce,
    pending: "sending",
  } as Message;
  setState(produce((s) => s.messages[channelId]?.list.push(pending)));
  await deliver(channelId, nonce, content, replyTo);
}

/** Sends a message with files, reporting upload progress; the message appears once stored. */
export function sendWithFiles(channelId: string, content: string, files: File[], replyTo: string | undefined, onProgress: (f: number) => void): Upload {
  const payload: Record<string, unknown> = { content };
  if (replyTo) payload.message_reference = { message_id: replyTo, fail_if_not_exists: false };
  const up = uploadMessage(channelId, payload, files, onProgress);
  up.done.then(
    (m) => {
      setState(
        produce((s) => {
          const b = s.messages[channelId];
          if (b && !b.list.some((x) => x.id === m.id)) b.list.push(m);
        }),
      );
      ack(channelId);
    },
    () => {},
  );
  return up;
}

async function deliver(channelId: string, nonce: string, content: string, replyTo?: string) {
  try {
    const body: Record<string, unknown> = { content, nonce, enforce_nonce: true };
    if (replyTo) body.message_reference = { message_id: replyTo, fail_if_not_exists: false };
    const m = await api<Message>("POST", `/channels/${channelId}/messages`, body);
    setState(
      produce((s) => {
        const b = s.messages[channelId];
        if (!b) return;
        b.list = b.list.filter((x) => !(x.pending && x.nonce === nonce));
        if (!b.list.some((x) => x.id === m.id)) b.list.push(m);
      }),
    );
    ack(channelId);
  } catch (e) {
    setState(
      produce((s) => {
        const p = s.messages[channelId]?.list.find((x) => x.pending && x.nonce === nonce);
        if (p) {
          p.pending = "failed";
          (p as Message & { error?: string }).error = failureText(e);
        }
      }),
    );
  }
}

/** Why a message was not sent, in words for its sender (AutoMod's own notice when it blocked it). */
export function failureText(e: unknown): string {
  if (e instanceof ApiError && e.code === 200000) {
    const notice = e.body.custom_message;
    return `Blocked by AutoMod${typeof notice === "string" && notice ? `: ${notice}` : "."}`;
  }
  return e instanceof Error ? e.message : "Not sent.";
}

export async function retrySend(channelId: string, nonce: string) {
  const m = state.messages[channelId]?.list.find((x) => x.pending && x.nonce === nonce);
  if (!m) return;
  setState(produce((s) => {
    const p = s.messages[channelId].list.find((x) => x.pending && x.nonce === nonce);
    if (p) p.pending = "sending";
  }));
  await deliver(channelId, nonce, m.content, m.message_reference?.message_id ?? undefined);
}

export function discardFailed(channelId: string, nonce: string) {
  setState(produce((s) => {
    const b = s.messages[channelId];
    if (b) b.list = b.list.filter((x) => !(x.pending && x.nonce === nonce));
  }));
}

export const editMessage = (c: string, m: string, content: string) => api("PATCH", `/channels/${c}/messages/${m}`, { content });
export const deleteMessage = (c: string, m: string) => api("DELETE", `/channels/${c}/messages/${m}`);
export const pinMessage = (c: string, m: string, pin: boolean) => api(pin ? "PUT" : "DELETE", `/channels/${c}/pins/${m}`);
export const typing = (c: string) => api("POST", `/channels/${c}/typing`).catch(() => {});

export function react(c: string, m: string, emoji: string, on: boolean) {
  const e = encodeURIComponent(emoji);
  return api(on ? "PUT" : "DELETE", `/channels/${c}/messages/${m}/reactions/${e}/@me`);
}

export async function createGuild(name: string) {
  return api<T.Guild>("POST", "/guilds", { name });
}

export async function acceptInvite(code: string) {
  return api<T.Invite>("POST", `/invites/${encodeURIComponent(code)}`);
}

export async function openDm(userId: string) {
  const ch = await api<T.Channel>("POST", "/users/@me/channels", { recipient_id: userId });
  applyEvent(setState, "CHANNEL_CREATE", ch);
  return ch;
}

export const reportMessage = (c: string, m: string, reason: string) => api("POST", `/channels/${c}/messages/${m}/reports`, { reason });
export const acceptRules = (g: string) => api("POST", `/guilds/${g}/rules/accept`);
export const leaveGuild = (g: string) => api("DELETE", `/users/@me/guilds/${g}`);
