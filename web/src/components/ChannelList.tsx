import { useNavigate } from "@solidjs/router";
import { For, Show, createSignal } from "solid-js";
import { compareIds } from "../api/client";
import { displayName } from "../lib/format";
import { type Channel, state } from "../state/store";
import { joinVoice } from "../voice";
import { VoiceMembers } from "./Voice";

export function isUnread(c: Channel): boolean {
  const r = state.reads[c.id];
  if (r && r.unread > 0) return true;
  if (!c.last_message_id) return false;
  if (!r?.last) return false;
  return compareIds(c.last_message_id, r.last) > 0;
}

function ChannelButton(props: { c: Channel; guildId: string; active: boolean }) {
  const nav = useNavigate();
  const mentions = () => state.reads[props.c.id]?.mentions ?? 0;
  const isVoice = () => props.c.type === 2 || props.c.type === 13;
  const icon = () => (props.c.type === 13 ? "🎙" : isVoice() ? "🔊" : props.c.type === 5 ? "📣" : props.c.type === 15 ? "💬" : "#");
  return (
    <>
    <button
      class="channel"
      classList={{ active: props.active, unread: isUnread(props.c) }}
      aria-current={props.active ? "page" : undefined}
      onClick={() => {
        if (isVoice()) joinVoice(props.guildId, props.c.id);
        nav(`/channels/${props.guildId}/${props.c.id}`);
      }}
    >
      <span aria-hidden="true">{icon()}</span>
      <span>{props.c.name}</span>
      <Show when={mentions() > 0}>
        <span class="pill" aria-label={`${mentions()} mentions`}>{mentions()}</span>
      </Show>
    </button>
    <Show when={isVoice()}>
      <VoiceMembers guildId={props.guildId} channelId={props.c.id} stage={props.c.type === 13} />
    </Show>
    </>
  );
}

export default function ChannelList(props: { guildId: string; activeId?: string }) {
  const [collapsed, setCollapsed] = createSignal<Record<string, boolean>>({});
  const channels = () => Object.values(state.channels).filter((c) => c.guild_id === props.guildId);
  const sorted = (list: Channel[]) => [...list].sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || compareIds(a.id, b.id));
  const categories = () => sorted(channels().filter((c) => c.type === 4));
  const loose = () => sorted(channels().filter((c) => c.type !== 4 && !c.parent_id));
  const children = (cat: string) => sorted(channels().filter((c) => c.parent_id === cat));
  return (
    <nav class="channels" aria-label="Channels">
      <For each={loose()}>{(c) => <ChannelButton c={c} guildId={props.guildId} active={c.id === props.activeId} />}</For>
      <For each={categories()}>
        {(cat) => (
          <div>
            <button class="category" aria-expanded={!collapsed()[cat.id]} onClick={() => setCollapsed({ ...collapsed(), [cat.id]: !collapsed()[cat.id] })}>
              {collapsed()[cat.id] ? "▸" : "▾"} {cat.name}
            </button>
            <For each={children(cat.id).filter((c) => !collapsed()[cat.id] || c.id === props.activeId || isUnread(c))}>
              {(c) => <ChannelButton c={c} guildId={props.guildId} active={c.id === props.activeId} />}
            </For>
          </div>
        )}
      </For>
    </nav>
  );
}

export function DmList(props: { activeId?: string }) {
  const nav = useNavigate();
  const dms = () =>
    state.dms
      .map((id) => state.channels[id])
      .filter(Boolean)
      .sort((a, b) => compareIds(b.last_message_id ?? b.id, a.last_message_id ?? a.id));
  const title = (c: Channel) => c.name ?? c.recipients?.map((u) => displayName(u)).join(", ") ?? "Direct message";
  return (
    <nav class="channels" aria-label="Direct messages">
      <div class="category">Direct messages</div>
      <For each={dms()} fallback={<p class="muted" style={{ padding: ".5rem" }}>Open a DM from someone's profile in a community.</p>}>
        {(c) => (
          <button class="channel" classList={{ active: c.id === props.activeId, unread: isUnread(c) }} onClick={() => nav(`/channels/@me/${c.id}`)}>
            <span class="dot" classList={{ [state.presences[c.recipients?.[0]?.id ?? ""] ?? "offline"]: true }} />
            <span>{title(c)}</span>
            <Show when={(state.reads[c.id]?.unread ?? 0) > 0}>
              <span class="pill">{state.reads[c.id]?.unread}</span>
            </Show>
          </button>
        )}
      </For>
    </nav>
  );
}
