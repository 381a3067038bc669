import { Show, createSignal } from "solid-js";
import { P, channelPermissions, has } from "../lib/permissions";
import { displayName } from "../lib/format";
import * as actions from "../state/actions";
import { type Message, state } from "../state/store";

export default function Composer(props: { channelId: string; replyTo: Message | null; onCancelReply: () => void; onEditLast: () => void }) {
  const [text, setText] = createSignal("");
  let lastTyping = 0;
  const canSend = () => {
    const ch = state.channels[props.channelId];
    const g = ch?.guild_id ? state.guilds[ch.guild_id] : undefined;
    if (!g || !state.me) return true;
    const until = g.members[state.me.id]?.communication_disabled_until;
    if (until && Date.parse(until) > Date.now()) return false;
    return has(channelPermissions(g, ch!, state.me.id), P.SEND_MESSAGES);
  };
  const timeoutEnds = () => {
    const ch = state.channels[props.channelId];
    const until = ch?.guild_id && state.me ? state.guilds[ch.guild_id]?.members[state.me.id]?.communication_disabled_until : null;
    return until && Date.parse(until) > Date.now() ? new Date(until).toLocaleString() : null;
  };
  const send = () => {
    const t = text().trim();
    if (!t) return;
    actions.sendMessage(props.channelId, t, props.replyTo?.id);
    setText("");
    props.onCancelReply();
  };
  const placeholder = () => {
    const ch = state.channels[props.channelId];
    if (!ch) return "Message";
    if (ch.type === 1) return `Message @${displayName(ch.recipients?.[0])}`;
    return `Message #${ch.name ?? ""}`;
  };
  return (
    <div class="composer">
      <Show when={props.replyTo}>
        {(r) => (
          <div class="replying">
            Replying to <strong>&nbsp;{displayName(r().author)}</strong>
            <button class="icon-btn" aria-label="Cancel reply" onClick={props.onCancelReply}>✕</button>
          </div>
        )}
      </Show>
      <Show when={canSend()} fallback={<div class="muted" style={{ padding: ".7rem" }}>{timeoutEnds() ? `You are timed out until ${timeoutEnds()}.` : "You do not have permission to send messages in this channel."}</div>}>
        <textarea
          rows={1}
          aria-label={placeholder()}
          placeholder={placeholder()}
          value={text()}
          maxLength={2000}
          onInput={(e) => {
            setText(e.currentTarget.value);
            const now = Date.now();
            if (now - lastTyping > 8000 && e.currentTarget.value) {
              lastTyping = now;
              actions.typing(props.channelId);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              send();
            } else if (e.key === "ArrowUp" && !text()) {
              e.preventDefault();
              props.onEditLast();
            } else if (e.key === "Escape") {
              props.onCancelReply();
            }
          }}
        />
      </Show>
    </div>
  );
}
