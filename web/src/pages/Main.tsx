import { useNavigate, useParams } from "@solidjs/router";
import { For, Show, createEffect, createSignal, on, onCleanup } from "solid-js";
import { ApiError, api } from "../api/client";
import ChannelList, { DmList, isUnread } from "../components/ChannelList";
import ChannelSettings from "../components/ChannelSettings";
import Composer from "../components/Composer";
import Search from "../components/Search";
import GuildSettings from "../components/GuildSettings";
import MemberList from "../components/MemberList";
import MessageList from "../components/MessageList";
import Modal from "../components/Modal";
import Typing from "../components/Typing";
import Events from "../components/Events";
import Forum from "../components/Forum";
import Pins from "../components/Pins";
import { VideoGrid, VoicePanel } from "../components/Voice";
import UserSettings from "../components/UserSettings";
import { displayName, initial } from "../lib/format";
import { P, basePermissions, has } from "../lib/permissions";
import * as actions from "../state/actions";
import { type Message, setState, state } from "../state/store";
import { compareIds } from "../api/client";

function NewCommunity(props: { onClose: () => void }) {
  const nav = useNavigate();
  const [name, setName] = createSignal("");
  const [code, setCode] = createSignal("");
  const [err, setErr] = createSignal("");
  return (
    <Modal title="Create or join a community" onClose={props.onClose}>
      <label for="new-guild">Create: community name</label>
      <input id="new-guild" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
      <button class="btn full" onClick={async () => {
        try {
          const g = await actions.createGuild(name());
          props.onClose();
          nav(`/channels/${g.id}/${g.system_channel_id ?? ""}`);
        } catch (e) {
          setErr(e instanceof ApiError ? Object.values(e.fields())[0] ?? e.message : "Failed");
        }
      }}>Create</button>
      <label for="join-code">Or join: invite link or code</label>
      <input id="join-code" value={code()} onInput={(e) => setCode(e.currentTarget.value)} />
      <button class="btn secondary full" onClick={() => {
        const c = code().trim().split("/").pop();
        if (c) {
          props.onClose();
          nav(`/invite/${c}`);
        }
      }}>Join</button>
      <div class="field-error" role="alert">{err()}</div>
    </Modal>
  );
}

function NewChannel(props: { guildId: string; onClose: () => void }) {
  const nav = useNavigate();
  const [name, setName] = createSignal("");
  const [type, setType] = createSignal("0");
  const [err, setErr] = createSignal("");
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const c = await api<{ id: string }>("POST", `/guilds/${props.guildId}/channels`, { name: name(), type: Number(type()) });
      props.onClose();
      if (type() !== "4" && type() !== "2") nav(`/channels/${props.guildId}/${c.id}`);
    } catch (x) {
      setErr(x instanceof ApiError ? Object.values(x.fields())[0] ?? x.message : "Failed");
    }
  };
  return (
    <Modal title="Create a channel" onClose={props.onClose}>
      <form onSubmit={create}>
        <label for="new-channel-type">Type</label>
        <select id="new-channel-type" value={type()} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="0">Text</option>
          <option value="15">Forum (posts, votes, comment threads)</option>
          <option value="5">Announcement</option>
          <option value="2">Voice</option>
          <option value="4">Category</option>
        </select>
        <label for="new-channel-name">Name</label>
        <input id="new-channel-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} required />
        <div class="field-error" role="alert">{err()}</div>
        <button class="btn full" type="submit">Create channel</button>
      </form>
    </Modal>
  );
}

function Rail(props: { guildId?: string }) {
  const nav = useNavigate();
  const [creating, setCreating] = createSignal(false);
  const guildUnread = (gid: string) => Object.values(state.channels).some((c) => c.guild_id === gid && c.type !== 4 && isUnread(c));
  const guildMentions = (gid: string) => Object.values(state.channels).filter((c) => c.guild_id === gid).reduce((n, c) => n + (state.reads[c.id]?.mentions ?? 0), 0);
  const dmUnread = () => state.dms.reduce((n, id) => n + (state.reads[id]?.unread ?? 0), 0);
  return (
    <nav class="rail" aria-label="Communities">
      <button class="rail-item" classList={{ active: !props.guildId }} aria-label="Direct messages" onClick={() => nav("/channels/@me")}>
        💬<Show when={dmUnread() > 0}><span class="pill">{dmUnread()}</span></Show>
      </button>
      <div class="rail-sep" />
      <For each={state.guildOrder}>
        {(gid) => (
          <button class="rail-item" classList={{ active: props.guildId === gid }} title={state.guilds[gid]?.name} aria-label={state.guilds[gid]?.name}
            onClick={() => nav(`/channels/${gid}`)} style={{ "font-weight": guildUnread(gid) ? 800 : 500 }}>
            <Show when={state.guilds[gid]?.icon} fallback={initial(state.guilds[gid]?.name ?? "?")}>
              {(icon) => <img class="rail-icon" src={`/cdn/icons/${gid}/${icon()}.png?size=96`} alt="" />}
            </Show>
            <Show when={guildMentions(gid) > 0}><span class="pill">{guildMentions(gid)}</span></Show>
          </button>
        )}
      </For>
      <button class="rail-item" aria-label="Create or join a community" onClick={() => setCreating(true)}>+</button>
      <Show when={creating()}><NewCommunity onClose={() => setCreating(false)} /></Show>
    </nav>
  );
}

export default function Main() {
  const params = useParams();
  const nav = useNavigate();
  const [editing, setEditing] = createSignal<string | null>(null);
  const [replyTo, setReplyTo] = createSignal<Message | null>(null);
  const [settings, setSettings] = createSignal<"user" | "guild" | "channel" | "events" | "pins" | "new-channel" | null>(null);
  const [drawer, setDrawer] = createSignal<"nav" | "members" | null>(null);
  const [firstAdmin, setFirstAdmin] = createSignal(sessionStorage.getItem("coterie.firstAdmin") === "1");
  const guildId = () => (params.guildId && params.guildId !== "@me" ? params.guildId : undefined);
  const guild = () => (guildId() ? state.guilds[guildId()!] : undefined);
  const channelId = () => params.channelId;
  const channel = () => (channelId() ? state.channels[channelId()!] : undefined);
  const perms = () => (guild() && state.me ? basePermissions(guild()!, state.me.id) : 0n);

  actions.connect();

  // Open the first text channel when a guild is chosen without one.
  createEffect(() => {
    const g = guildId();
    if (g && !channelId() && state.guilds[g]) {
      const first = Object.values(state.channels)
        .filter((c) => c.guild_id === g && (c.type === 0 || c.type === 5))
        .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || compareIds(a.id, b.id))[0];
      if (first) nav(`/channels/${g}/${first.id}`, { replace: true });
    }
  });
  createEffect(on(channelId, (c) => {
    setState("activeChannel", c ?? null);
    setEditing(null);
    setReplyTo(null);
    setDrawer(null);
    if (c) actions.ack(c);
  }));
  // Leave the view of a guild that went away (kicked, banned, deleted, left).
  createEffect(() => {
    if (state.removedGuild && state.removedGuild === guildId()) nav("/channels/@me", { replace: true });
  });
  const onLogout = () => (location.href = "/login");
  window.addEventListener("coterie:logout", onLogout);
  onCleanup(() => window.removeEventListener("coterie:logout", onLogout));

  const editLast = () => {
    const mine = (state.messages[channelId() ?? ""]?.list ?? []).filter((m) => m.author.id === state.me?.id && !m.pending).at(-1);
    if (mine) setEditing(mine.id);
  };

  return (
    <div class="app" classList={{ "show-nav": drawer() === "nav", "show-members": drawer() === "members" }}>
      <Rail guildId={guildId()} />
      <div class="sidebar">
        <header>
          <span style={{ overflow: "hidden", "text-overflow": "ellipsis", "white-space": "nowrap" }}>{guild()?.name ?? "Direct messages"}</span>
          <Show when={guild() && [P.MANAGE_GUILD, P.MANAGE_ROLES, P.KICK_MEMBERS, P.BAN_MEMBERS, P.VIEW_AUDIT_LOG, P.MODERATE_MEMBERS, P.MANAGE_MESSAGES].some((b) => has(perms(), b))}>
            <button class="icon-btn" aria-label="Community settings" onClick={() => setSettings("guild")}>⚙</button>
          </Show>
          <Show when={guild() && has(perms(), P.MANAGE_CHANNELS)}>
            <button class="icon-btn" aria-label="Create channel" onClick={() => setSettings("new-channel")}>＋</button>
          </Show>
          <Show when={guild()}>
            <button class="icon-btn" aria-label="Events" onClick={() => setSettings("events")}>📅</button>
          </Show>
          <Show when={guild() && state.me && guild()!.owner_id !== state.me.id}>
            <button class="icon-btn" aria-label="Leave community" onClick={async () => {
              if (confirm(`Leave ${guild()!.name}?`)) {
                await actions.leaveGuild(guildId()!);
                nav("/channels/@me");
              }
            }}>⎋</button>
          </Show>
        </header>
        <Show when={guildId()} fallback={<DmList activeId={channelId()} />}>
          <ChannelList guildId={guildId()!} activeId={channelId()} />
        </Show>
        <VoicePanel />
        <div class="me-bar">
          <span class="dot online" />
          <span class="name">{displayName(state.me ?? undefined)}</span>
          <button class="icon-btn" aria-label="User settings" onClick={() => setSettings("user")}>⚙</button>
        </div>
      </div>
      <main class="main">
        <Show when={state.status === "reconnecting" || state.status === "connecting"}>
          <div class="status-bar" role="status">{state.status === "connecting" ? "Connecting…" : "Reconnecting…"}</div>
        </Show>
        <Show when={firstAdmin()}>
          <div class="notice" role="status">
            You created the first account: you administer this Coterie instance.
            <button class="icon-btn" aria-label="Dismiss" onClick={() => { sessionStorage.removeItem("coterie.firstAdmin"); setFirstAdmin(false); }}>✕</button>
          </div>
        </Show>
        <header>
          <button class="icon-btn drawer-toggle" aria-label="Open navigation" onClick={() => setDrawer(drawer() === "nav" ? null : "nav")}>☰</button>
          <Show when={channel()} fallback={<span>Coterie</span>}>
            <span>{channel()!.type === 1 ? `@${displayName(channel()!.recipients?.[0])}` : `${channel()!.type === 15 ? "💬" : "#"} ${channel()!.name ?? ""}`}</span>
            <span class="topic">{channel()!.topic ?? ""}</span>
          </Show>
          <span style={{ "margin-left": "auto" }} />
          <Show when={channel()}>
            <Search guildId={guildId()} channelId={channelId()} />
          </Show>
          <Show when={channel()}>
            <button class="icon-btn" aria-label="Pinned messages" onClick={() => setSettings("pins")}>📌</button>
          </Show>
          <Show when={channel() && guild() && has(perms(), P.MANAGE_CHANNELS)}>
            <button class="icon-btn" aria-label="Channel settings" onClick={() => setSettings("channel")}>⚙</button>
          </Show>
          <Show when={guild()}>
            <button class="icon-btn" aria-label="Members" onClick={() => setDrawer(drawer() === "members" ? null : "members")}>👥</button>
          </Show>
        </header>
        <VideoGrid />
        <Show when={channel()} keyed fallback={<div class="center muted">{state.guildOrder.length ? "Pick a channel." : "Create a community or join one with an invite (＋)."}</div>}>
          {(c) => (
            <Show when={c.type !== 15} fallback={<Forum guildId={guildId()!} forum={c} postId={params.postId} />}>
              <MessageList channelId={c.id} editing={editing()} onEdit={setEditing} onReply={setReplyTo} />
              <Typing channelId={c.id} />
              <Composer channelId={c.id} replyTo={replyTo()} onCancelReply={() => setReplyTo(null)} onEditLast={editLast} />
            </Show>
          )}
        </Show>
      </main>
      <Show when={guildId()}>
        <MemberList guildId={guildId()!} />
      </Show>
      <Show when={settings() === "user"}><UserSettings onClose={() => setSettings(null)} /></Show>
      <Show when={settings() === "guild" && guildId()}><GuildSettings guildId={guildId()!} onClose={() => setSettings(null)} /></Show>
      <Show when={settings() === "events" && guildId()}><Events guildId={guildId()!} onClose={() => setSettings(null)} /></Show>
      <Show when={settings() === "pins" && channelId()}><Pins channelId={channelId()!} guildId={guildId()} onClose={() => setSettings(null)} /></Show>
      <Show when={settings() === "new-channel" && guildId()}><NewChannel guildId={guildId()!} onClose={() => setSettings(null)} /></Show>
      <Show when={settings() === "channel" && channelId()}><ChannelSettings channelId={channelId()!} onClose={() => setSettings(null)} /></Show>
    </div>
  );
}
