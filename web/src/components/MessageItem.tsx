import { For, Show, createMemo, createSignal } from "solid-js";
import { ApiError, api } from "../api/client";
import { safeUrl } from "../lib/markdown";
import { P, channelPermissions, has } from "../lib/permissions";
import { dateTimeOf, displayName, roleColor, timeOf } from "../lib/format";
import * as actions from "../state/actions";
import { type Message, mentionsMe, state } from "../state/store";
import EmojiPicker from "./EmojiPicker";
import Embeds from "./Embeds";
import Markdown from "./Markdown";
import { Attachments, Avatar, CustomEmoji } from "./Media";

const SYSTEM: Record<number, string> = { 6: "pinned a message to this channel.", 7: "joined the community. Say hi!" };

export interface ItemProps {
  m: Message;
  head: boolean;
  editing: boolean;
  onEdit: (id: string | null) => void;
  onReply: (m: Message) => void;
  onJump: (id: string) => void;
}

interface Component {
  type: number;
  style?: number;
  label?: string;
  custom_id?: string;
  url?: string;
  disabled?: boolean;
  components?: Component[];
}

/** Buttons a bot attached; clicking one sends a component interaction. */
function Components(props: { m: Message }) {
  const [err, setErr] = createSignal("");
  const rows = () => (props.m.components as Component[]).filter((r) => r.type === 1);
  const click = async (c: Component) => {
    setErr("");
    try {
      await api("POST", "/interactions", {
        type: 3, application_id: props.m.application_id ?? props.m.author.id, channel_id: props.m.channel_id, guild_id: props.m.guild_id,
        message_id: props.m.id, data: { component_type: 2, custom_id: c.custom_id },
      });
    } catch (e) {
      setErr(e instanceof ApiError ? e.message : "Failed");
    }
  };
  return (
    <div>
      <For each={rows()}>
        {(row) => (
          <div class="row" style={{ "flex-wrap": "wrap" }}>
            <For each={(row.components ?? []).filter((c) => c.type === 2)}>
              {(c) => (
                <Show when={c.style === 5} fallback={<button class="btn" classList={{ secondary: c.style === 2, danger: c.style === 4 }} disabled={c.disabled} onClick={() => click(c)}>{c.label}</button>}>
                  <Show when={safeUrl(c.url ?? "")}>{(href) => <a class="btn secondary" href={href()} target="_blank" rel="noopener noreferrer nofollow">{c.label} ↗</a>}</Show>
                </Show>
              )}
            </For>
          </div>
        )}
      </For>
      <div class="field-error" role="alert">{err()}</div>
    </div>
  );
}

export default function MessageItem(props: ItemProps) {
  const [picker, setPicker] = createSignal(false);
  const [draft, setDraft] = createSignal("");
  const [error, setError] = createSignal("");
  const guild = () => (props.m.guild_id ? state.guilds[props.m.guild_id] : state.guilds[state.channels[props.m.channel_id]?.guild_id ?? ""]);
  const perms = createMemo(() => {
    const g = guild();
    const ch = state.channels[props.m.channel_id];
    return g && ch && state.me ? channelPermissions(g, ch, state.me.id) : P.SEND_MESSAGES | P.ADD_REACTIONS | P.READ_MESSAGE_HISTORY;
  });
  const mine = () => props.m.author.id === state.me?.id;
  const ref = () => props.m.referenced_message;
  const save = async () => {
    const text = draft().trim();
    if (!text) return;
    try {
      await actions.editMessage(props.m.channel_id, props.m.id, text);
      props.onEdit(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not save");
    }
  };
  const toggleReaction = (emoji: string, me: boolean) => actions.react(props.m.channel_id, props.m.id, emoji, !me).catch(() => {});
  return (
    <Show
      when={!SYSTEM[props.m.type]}
      fallback={
        <div class="system" data-message-id={props.m.id}>
          <strong>{displayName(props.m.author, guild())}</strong> {SYSTEM[props.m.type]}
        </div>
      }
    >
      <div
        class="msg"
        classList={{ head: props.head, mention: mentionsMe(state, props.m), pending: props.m.pending === "sending", failed: props.m.pending === "failed" }}
        data-message-id={props.m.id}
      >
        <Show when={ref() || props.m.message_reference?.message_id && props.m.type === 19}>
          <span />
          <button class="reply-ref" onClick={() => ref() && props.onJump(ref()!.id)}>
            ↪ {ref() ? <><strong>{displayName(ref()!.author, guild())}</strong> {ref()!.content.slice(0, 100)}</> : "Original message was deleted"}
          </button>
        </Show>
        <Show when={props.head} fallback={<div class="gutter">{timeOf(props.m.timestamp)}</div>}>
          <Avatar user={props.m.author} name={displayName(props.m.author, guild())} />
        </Show>
        <div>
          <Show when={props.head}>
            <div>
              <span class="author" style={{ color: roleColor(guild(), props.m.author.id) }}>{displayName(props.m.author, guild())}</span>
              <Show when={props.m.author.bot}><span class="pill" style={{ background: "var(--accent)" }}>BOT</span> </Show>
              <time dateTime={props.m.timestamp}>{dateTimeOf(props.m.timestamp)}</time>
            </div>
          </Show>
          <Show
            when={props.editing}
            fallback={
              <div class="body">
                <Markdown text={props.m.content} guildId={guild()?.id} />
                <Show when={props.m.edited_timestamp}><span class="edited">(edited)</span></Show>
                <Show when={props.m.attachments?.length}><Attachments list={props.m.attachments} /></Show>
                <Show when={props.m.embeds?.length}><Embeds m={props.m} /></Show>
              </div>
            }
          >
            <textarea
              aria-label="Edit message"
              value={props.m.content}
              ref={(el) => queueMicrotask(() => { el.focus(); setDraft(el.value); })}
              onInput={(e) => setDraft(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); save(); }
                if (e.key === "Escape") props.onEdit(null);
              }}
            />
            <div class="muted" style={{ "font-size": ".75rem" }}>Enter to save · Escape to cancel {error()}</div>
          </Show>
          <Show when={(props.m.flags & 64) !== 0}>
            <div class="muted" style={{ "font-size": ".75rem" }}>Only you can see this</div>
          </Show>
          <Show when={props.m.components.length}>
            <Components m={props.m} />
          </Show>
          <Show when={props.m.pending === "failed"}>
            <div class="field-error">
              {(props.m as Message & { error?: string }).error ?? "Not sent."} <button class="icon-btn" onClick={() => actions.retrySend(props.m.channel_id, props.m.nonce as string)}>Retry</button>
              <button class="icon-btn" onClick={() => actions.discardFailed(props.m.channel_id, props.m.nonce as string)}>Discard</button>
            </div>
          </Show>
          <Show when={props.m.reactions.length}>
            <div class="reactions">
              <For each={props.m.reactions}>
                {(r) => (
                  <button class="reaction" classList={{ me: r.me }} aria-pressed={r.me} aria-label={`${r.emoji.name} ${r.count}`} onClick={() => toggleReaction(r.emoji.id ? `${r.emoji.name}:${r.emoji.id}` : r.emoji.name ?? "", r.me)}>
                    <Show when={r.emoji.id} fallback={r.emoji.name}>{(id) => <CustomEmoji id={id()} name={r.emoji.name ?? ""} />}</Show> {r.count}
                  </button>
                )}
              </For>
            </div>
          </Show>
        </div>
        <Show when={!props.m.pending && !props.editing}>
          <div class="actions" role="toolbar" aria-label="Message actions">
            <Show when={has(perms(), P.ADD_REACTIONS)}>
              <button class="icon-btn" aria-label="Add reaction" onClick={() => setPicker(!picker())}>🙂</button>
            </Show>
            <Show when={has(perms(), P.SEND_MESSAGES)}>
              <button class="icon-btn" aria-label="Reply" onClick={() => props.onReply(props.m)}>↩</button>
            </Show>
            <Show when={mine()}>
              <button class="icon-btn" aria-label="Edit" onClick={() => props.onEdit(props.m.id)}>✎</button>
            </Show>
            <Show when={has(perms(), P.PIN_MESSAGES) || has(perms(), P.MANAGE_MESSAGES)}>
              <button class="icon-btn" aria-label={props.m.pinned ? "Unpin" : "Pin"} onClick={() => actions.pinMessage(props.m.channel_id, props.m.id, !props.m.pinned)}>📌</button>
            </Show>
            <Show when={!mine() && props.m.guild_id}>
              <button class="icon-btn" aria-label="Report" onClick={() => {
                const reason = prompt("Report this message to the moderators. What is wrong with it?");
                if (reason?.trim()) actions.reportMessage(props.m.channel_id, props.m.id, reason.trim()).then(() => alert("Reported. The moderators will take a look."), (e) => alert((e as Error).message));
              }}>⚑</button>
            </Show>
            <Show when={mine() || has(perms(), P.MANAGE_MESSAGES)}>
              <button class="icon-btn" aria-label="Delete" onClick={() => confirm("Delete this message?") && actions.deleteMessage(props.m.channel_id, props.m.id)}>🗑</button>
            </Show>
          </div>
        </Show>
        <Show when={picker()}>
          <EmojiPicker guildId={guild()?.id} onPick={(e) => actions.react(props.m.channel_id, props.m.id, e, true).catch(() => {})} onClose={() => setPicker(false)} />
        </Show>
      </div>
    </Show>
  );
}
