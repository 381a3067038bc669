import { createRoot } from "solid-js";
import { describe, expect, it } from "vitest";
import { applyEvent, makeStore, setHistory, voteKey } from "./store";

const me = { id: "1", username: "alice", discriminator: "0", global_name: null, avatar: null, bot: false, public_flags: 0 };
const bob = { ...me, id: "2", username: "bob" };

function msg(id: string, author = bob, extra: Record<string, unknown> = {}) {
  return {
    id, channel_id: "10", guild_id: "100", author, content: `m${id}`, timestamp: new Date().toISOString(), edited_timestamp: null,
    tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], reactions: [],
    pinned: false, type: 0, flags: 0, components: [], ...extra,
  };
}

function ready() {
  const [state, set] = makeStore();
  applyEvent(set, "READY", { user: me, private_channels: [], read_state: { entries: [] } });
  applyEvent(set, "GUILD_CREATE", {
    id: "100", name: "G", owner_id: "1", roles: [{ id: "100", name: "@everyone", permissions: "1024", position: 0, color: 0 }],
    channels: [{ id: "10", type: 0, name: "general", position: 0 }], members: [{ user: me, roles: [] }], presences: [], member_count: 1,
  });
  return { state, set };
}

describe("applying gateway events", () => {
  it("tracks who is in voice from GUILD_CREATE and VOICE_STATE_UPDATE", () =>
    createRoot(() => {
      const { state, set } = ready();
      const vs = { channel_id: "20", user_id: "2", session_id: "s", mute: false, deaf: false, self_mute: false, self_deaf: false, self_video: false, suppress: false, request_to_speak_timestamp: null };
      applyEvent(set, "GUILD_CREATE", { id: "100", name: "G", owner_id: "1", roles: [], channels: [], members: [], voice_states: [vs] });
      expect(state.voice["100"]["2"].channel_id).toBe("20");
      applyEvent(set, "VOICE_STATE_UPDATE", { ...vs, guild_id: "100", self_mute: true, member: { user: bob, roles: [] } });
      expect(state.voice["100"]["2"].self_mute).toBe(true);
      expect(state.users["2"].username).toBe("bob");
      applyEvent(set, "VOICE_STATE_UPDATE", { ...vs, guild_id: "100", channel_id: null });
      expect(state.voice["100"]["2"]).toBeUndefined();
    }));

  it("adds guilds and channels from GUILD_CREATE and removes them on GUILD_DELETE", () =>
    createRoot(() => {
      const { state, set } = ready();
      expect(state.guildOrder).toEqual(["100"]);
      expect(state.channels["10"].name).toBe("general");
      applyEvent(set, "GUILD_DELETE", { id: "100" });
      expect(state.guilds["100"]).toBeUndefined();
      expect(state.channels["10"]).toBeUndefined();
    }));

  it("keeps history in id order, replaces the optimistic copy by nonce, and applies edits and deletes", () =>
    createRoot(() => {
      const { state, set } = ready();
      setHistory(set, "10", [msg("5"), msg("7")] as never, false);
      applyEvent(set, "MESSAGE_CREATE", msg("6"));
      expect(state.messages["10"].list.map((m) => m.id)).toEqual(["5", "6", "7"]);
      set("messages", "10", "list", (l) => [...l, { ...msg("pending-x", me), nonce: "x", pending: "sending" } as never]);
      applyEvent(set, "MESSAGE_CREATE", msg("8", me, { nonce: "x" }));
      expect(state.messages["10"].list.map((m) => m.id)).toEqual(["5", "6", "7", "8"]);
      applyEvent(set, "MESSAGE_UPDATE", { ...msg("6"), content: "edited" });
      expect(state.messages["10"].list[1].content).toBe("edited");
      applyEvent(set, "MESSAGE_DELETE", { id: "6", channel_id: "10" });
      applyEvent(set, "MESSAGE_DELETE_BULK", { ids: ["5", "7"], channel_id: "10" });
      expect(state.messages["10"].list.map((m) => m.id)).toEqual(["8"]);
    }));

  it("counts unread messages and mentions in channels that are not open", () =>
    createRoot(() => {
      const { state, set } = ready();
      applyEvent(set, "MESSAGE_CREATE", msg("20"));
      applyEvent(set, "MESSAGE_CREATE", msg("21", bob, { mentions: [me] }));
      expect(state.reads["10"]).toEqual({ last: null, mentions: 1, unread: 2 });
      applyEvent(set, "MESSAGE_ACK", { channel_id: "10", message_id: "21" });
      expect(state.reads["10"].unread).toBe(0);
      set("activeChannel", "10");
      applyEvent(set, "MESSAGE_CREATE", msg("22"));
      expect(state.reads["10"].unread).toBe(0);
    }));

  it("tracks reaction counts and whether I reacted", () =>
    createRoot(() => {
      const { state, set } = ready();
      setHistory(set, "10", [msg("5")] as never, false);
      const r = { channel_id: "10", message_id: "5", emoji: { id: null, name: "👍" } };
      applyEvent(set, "MESSAGE_REACTION_ADD", { ...r, user_id: "2" });
      applyEvent(set, "MESSAGE_REACTION_ADD", { ...r, user_id: "1" });
      expect(state.messages["10"].list[0].reactions[0]).toMatchObject({ count: 2, me: true });
      applyEvent(set, "MESSAGE_REACTION_REMOVE", { ...r, user_id: "1" });
      expect(state.messages["10"].list[0].reactions[0]).toMatchObject({ count: 1, me: false });
      applyEvent(set, "MESSAGE_REACTION_REMOVE", { ...r, user_id: "2" });
      expect(state.messages["10"].list[0].reactions).toEqual([]);
    }));

  it("applies member, role, presence and typing changes", () =>
    createRoot(() => {
      const { state, set } = ready();
      applyEvent(set, "GUILD_MEMBER_ADD", { guild_id: "100", user: bob, roles: [] });
      expect(state.guilds["100"].member_count).toBe(2);
      applyEvent(set, "GUILD_ROLE_CREATE", { guild_id: "100", role: { id: "9", name: "mods", permissions: "0", position: 1, color: 0 } });
      applyEvent(set, "GUILD_MEMBER_UPDATE", { guild_id: "100", user: bob, roles: ["9"] });
      expect(state.guilds["100"].members["2"].roles).toEqual(["9"]);
      applyEvent(set, "GUILD_ROLE_DELETE", { guild_id: "100", role_id: "9" });
      expect(state.guilds["100"].members["2"].roles).toEqual([]);
      applyEvent(set, "PRESENCE_UPDATE", { user: { id: "2" }, status: "idle" });
      expect(state.presences["2"]).toBe("idle");
      applyEvent(set, "TYPING_START", { channel_id: "10", user_id: "2" });
      expect(state.typing["10"]["2"]).toBeGreaterThan(Date.now());
      applyEvent(set, "GUILD_MEMBER_REMOVE", { guild_id: "100", user: bob });
      expect(state.guilds["100"].members["2"]).toBeUndefined();
    }));

  it("hides a channel that is deleted or becomes invisible", () =>
    createRoot(() => {
      const { state, set } = ready();
      applyEvent(set, "CHANNEL_CREATE", { id: "11", type: 0, name: "staff", guild_id: "100", position: 1 });
      expect(state.channels["11"]).toBeDefined();
      applyEvent(set, "CHANNEL_DELETE", { id: "11", type: 0, guild_id: "100" });
      expect(state.channels["11"]).toBeUndefined();
    }));

  it("keeps live forum scores from VOTE_UPDATE and bumps views when threads or their messages change", () =>
    createRoot(() => {
      const { state, set } = ready();
      applyEvent(set, "VOTE_UPDATE", { guild_id: "100", channel_id: "50", score: 3, upvotes: 4, downvotes: 1 });
      applyEvent(set, "VOTE_UPDATE", { guild_id: "100", channel_id: "50", message_id: "51", score: -1, upvotes: 0, downvotes: 1 });
      expect(state.votes[voteKey("50")].score).toBe(3);
      expect(state.votes[voteKey("50", "51")]).toEqual({ score: -1, upvotes: 0, downvotes: 1 });
      expect(voteKey("50", "50")).toBe("50");
      applyEvent(set, "THREAD_CREATE", { id: "50", parent_id: "10", type: 11 });
      expect(state.bumps["10"]).toBe(1);
      applyEvent(set, "MESSAGE_CREATE", { ...msg("52"), channel_id: "50" });
      expect(state.bumps["50"]).toBe(2);
    }));
});
