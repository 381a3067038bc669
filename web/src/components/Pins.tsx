import { For, createResource } from "solid-js";
import { api } from "../api/client";
import { displayName } from "../lib/format";
import type { Message } from "../state/store";
import Markdown from "./Markdown";
import Modal from "./Modal";

export default function Pins(props: { channelId: string; guildId?: string; onClose: () => void }) {
  const [pins] = createResource(() => api<Message[]>("GET", `/channels/${props.channelId}/pins`));
  return (
    <Modal title="Pinned messages" onClose={props.onClose}>
      <ul class="list">
        <For each={pins() ?? []} fallback={<li class="muted">No pinned messages yet.</li>}>
          {(m) => (
            <li style={{ display: "block" }}>
              <strong>{displayName(m.author)}</strong> <span class="muted">{new Date(m.timestamp).toLocaleString()}</span>
              <div class="body"><Markdown text={m.content} guildId={props.guildId} /></div>
            </li>
          )}
        </For>
      </ul>
    </Modal>
  );
}
