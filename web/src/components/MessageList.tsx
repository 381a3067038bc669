// The message view: virtualised (only visible rows are in the DOM), grouped by author and time,
// with day separators, infinite scroll into history, and a "new messages" bar.
import { createVirtualizer } from "@tanstack/solid-virtual";
import { For, Show, createEffect, createMemo, createSignal, on, onCleanup } from "solid-js";
import { api } from "../api/client";
import { dayOf } from "../lib/format";
import * as actions from "../state/actions";
import { type Message, setHistory, setState, state } from "../state/store";
import MessageItem from "./MessageItem";

type Row = { key: string; day: string } | { key: string; m: Message; head: boolean };

const GROUP_MS = 7 * 60 * 1000;

export default function MessageList(props: { channelId: string; editing: string | null; onEdit: (id: string | null) => void; onReply: (m: Message) => void }) {
  let scroller!: HTMLDivElement;
  const [atBottom, setAtBottom] = createSignal(true);
  const [unseen, setUnseen] = createSignal(0);
  const [loadingOlder, setLoadingOlder] = createSignal(false);
  const box = () => state.messages[props.channelId];

  const rows = createMemo<Row[]>(() => {
    const out: Row[] = [];
    let prev: Message | undefined;
    for (const m of box()?.list ?? []) {
      const day = dayOf(m.timestamp);
      if (!prev || dayOf(prev.timestamp) !== day) out.push({ key: `day-${day}-${m.id}`, day });
      const head =
        !prev ||
        prev.author.id !== m.author.id ||
        dayOf(prev.timestamp) !== day ||
        Date.parse(m.timestamp) - Date.parse(prev.timestamp) > GROUP_MS ||
        m.type === 19 ||
        ![0, 19, 20].includes(prev.type);
      out.push({ key: m.pending ? `p-${m.nonce}` : m.id, m, head });
      prev = m;
    }
    return out;
  });

  const virt = createVirtualizer({
    get count() {
      return rows().length;
    },
    getScrollElement: () => scroller,
    estimateSize: () => 48,
    overscan: 12,
    getItemKey: (i) => rows()[i]?.key ?? i,
  });

  const toBottom = () => {
    const n = rows().length;
    if (n) virt.scrollToIndex(n - 1, { align: "end" });
    requestAnimationFrame(() => (scroller.scrollTop = scroller.scrollHeight));
    setUnseen(0);
  };

  // First load of a channel.
  createEffect(
    on(
      () => props.channelId,
      (id) => {
        setAtBottom(true);
        setUnseen(0);
        if (!state.messages[id]?.loaded) actions.loadHistory(id).then(toBottom).catch(() => {});
        else queueMicrotask(toBottom);
      },
    ),
  );

  // New messages: follow them when at the bottom, otherwise count them for the bar.
  createEffect(
    on(
      () => box()?.list.length ?? 0,
      (n, prevN) => {
        if (prevN === undefined || n <= prevN) return;
        const last = box()?.list.at(-1);
        if (atBottom() || last?.author.id === state.me?.id) queueMicrotask(toBottom);
        else setUnseen(unseen() + (n - prevN));
      },
    ),
  );

  const onScroll = async () => {
    const bottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    setAtBottom(bottom);
    if (bottom) {
      setUnseen(0);
      if ((state.reads[props.channelId]?.unread ?? 0) > 0 && document.hasFocus()) actions.ack(props.channelId);
    }
    if (scroller.scrollTop < 400 && box()?.hasMore && !loadingOlder()) {
      setLoadingOlder(true);
      const before = virt.getTotalSize();
      const firstKey = rows()[0]?.key;
      try {
        await actions.loadOlder(props.channelId);
      } finally {
        requestAnimationFrame(() => {
          const added = rows().findIndex((r) => r.key === firstKey);
          if (added > 0) scroller.scrollTop += virt.getTotalSize() - before;
          setLoadingOlder(false);
        });
      }
    }
  };

  /** Scrolls to a message, loading history around it if needed. */
  const jump = async (id: string) => {
    let i = rows().findIndex((r) => "m" in r && r.m.id === id);
    if (i < 0) {
      const around = await api<Message[]>("GET", `/channels/${props.channelId}/messages?limit=50&around=${id}`);
      setHistory(setState, props.channelId, around.reverse(), true);
      i = rows().findIndex((r) => "m" in r && r.m.id === id);
    }
    if (i >= 0) {
      virt.scrollToIndex(i, { align: "center" });
      requestAnimationFrame(() => scroller.querySelector<HTMLElement>(`[data-message-id="${id}"]`)?.animate([{ background: "var(--mention)" }, { background: "transparent" }], 1500));
    }
  };

  const onFocus = () => atBottom() && actions.ack(props.channelId);
  window.addEventListener("focus", onFocus);
  onCleanup(() => window.removeEventListener("focus", onFocus));

  return (
    <div class="messages" ref={scroller} onScroll={onScroll} role="log" aria-live="polite" aria-label="Messages" tabIndex={0}>
      <Show when={unseen() > 0}>
        <button class="new-bar" onClick={toBottom}>{unseen()} new message{unseen() === 1 ? "" : "s"} — jump to present</button>
      </Show>
      <Show when={box()?.loaded && !box()?.hasMore}>
        <div class="muted" style={{ padding: "1rem" }}>This is the beginning of #{state.channels[props.channelId]?.name ?? "this conversation"}.</div>
      </Show>
      <div style={{ height: `${virt.getTotalSize()}px`, position: "relative", width: "100%" }}>
        <For each={virt.getVirtualItems()}>
          {(item) => {
            const row = () => rows()[item.index];
            return (
              <div data-index={item.index} ref={(el) => queueMicrotask(() => virt.measureElement(el))} style={{ position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${item.start}px)` }}>
                <Show when={row()} keyed>
                  {(rr) => {
                    return "day" in rr ? (
                      <div class="day" role="separator">{rr.day}</div>
                    ) : (
                      <MessageItem m={rr.m} head={rr.head} editing={props.editing === rr.m.id} onEdit={props.onEdit} onReply={props.onReply} onJump={jump} />
                    );
                  }}
                </Show>
              </div>
            );
          }}
        </For>
      </div>
    </div>
  );
}
