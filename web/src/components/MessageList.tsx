// The message view: virtualised (only visible rows are in the DOM), grouped by author and time,
// with day separators, infinite scroll into history, and a "new messages" bar.
import { createVirtualizer } from "@tanstack/solid-virtual";
import { $TRACK, For, Show, createEffect, createMemo, createSignal, on, onCleanup, untrack } from "solid-js";
import { $RAW } from "solid-js/store";
import { api } from "../api/client";
import { dayNumber, dayOf } from "../lib/format";
import * as actions from "../state/actions";
import { type Message, setHistory, setState, state } from "../state/store";
import MessageItem from "./MessageItem";

type Row = { key: string; day: string } | { key: string; m: Message; head: boolean; est?: number };

const GROUP_MS = 7 * 60 * 1000;

/** The plain object behind a store proxy (shallow, unlike unwrap): reading it tracks nothing. */
const raw = (m: Message): Message => (m as unknown as Record<symbol, Message>)[$RAW] ?? m;

export default function MessageList(props: { channelId: string; editing: string | null; onEdit: (id: string | null) => void; onReply: (m: Message) => void }) {
  let scroller!: HTMLDivElement;
  const [atBottom, setAtBottom] = createSignal(true);
  const [unseen, setUnseen] = createSignal(0);
  const [loadingOlder, setLoadingOlder] = createSignal(false);
  const box = () => state.messages[props.channelId];

  // Rows are rebuilt when the list changes (a page of history, a new message), but a row whose
  // message and grouping did not change keeps its object, so its DOM is not rebuilt either.
  let previous = new Map<string, Row>();
  const rows = createMemo<Row[]>(() => {
    const out: Row[] = [];
    const next = new Map<string, Row>();
    const keep = (r: Row) => {
      const old = previous.get(r.key);
      const same = old && ("day" in r ? "day" in old && old.day === r.day : "m" in old && old.m === r.m && old.head === r.head);
      const row = same ? old : r;
      next.set(row.key, row);
      out.push(row);
    };
    // One dependency on the list's shape ($TRACK fires on any insert, removal or replacement),
    // then plain reads: tracking every field of thousands of messages made each page of history slow.
    const list = box()?.list;
    (list as unknown as Record<symbol, unknown> | undefined)?.[$TRACK];
    untrack(() => {
      let prev: Message | undefined;
      let prevT = 0;
      let prevDay = 0;
      for (let i = 0; i < (list?.length ?? 0); i++) {
        const proxy = list![i];
        const m = raw(proxy);
        const t = Date.parse(m.timestamp);
        const day = dayNumber(t);
        if (!prev || prevDay !== day) keep({ key: `day-${day}-${m.id}`, day: dayOf(t) });
        const head = !prev || prev.author.id !== m.author.id || prevDay !== day || t - prevT > GROUP_MS || m.type === 19 || ![0, 19, 20].includes(prev.type);
        keep({ key: m.pending ? `p-${m.nonce}` : m.id, m: proxy, head });
        prev = m;
        prevT = t;
        prevDay = day;
      }
    });
    previous = next;
    return out;
  });

  const virt = createVirtualizer({
    get count() {
      return rows().length;
    },
    getScrollElement: () => scroller,
    // Close estimates keep prepended history from shifting once it is measured.
    estimateSize: (i) => {
      const r = rows()[i];
      if (!r) return 26;
      if ("day" in r) return 40;
      if (r.est === undefined) {
        const m = raw(r.m);
        const lines = Math.min(20, m.content.split("\n").length + Math.floor(m.content.length / 120));
        const extras = (m.referenced_message ? 22 : 0) + (m.reactions?.length ? 30 : 0) + (m.embeds?.length ? 80 : 0) + (m.components?.length ? 40 : 0);
        r.est = (r.head ? 48 : 26) + (lines - 1) * 22 + extras;
      }
      return r.est;
    },
    overscan: 12,
    getItemKey: (i) => rows()[i]?.key ?? i,
  });

  const visible = createMemo(() => new Map(virt.getVirtualItems().map((it) => [it.key as string, it])));
  const visibleKeys = createMemo(() => [...visible().keys()], [], { equals: (a, b) => a.length === b.length && a.every((k, i) => k === b[i]) });

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

  // New messages (the newest one changed, not history prepended above): follow them when at the
  // bottom or when they are the user's own, otherwise count them for the bar.
  createEffect(
    on(
      () => {
        const list = box()?.list;
        const last = list?.at(-1);
        return { key: last ? (last.pending ? `p-${last.nonce}` : last.id) : "", n: list?.length ?? 0 };
      },
      (now, before) => {
        if (!before || !now.key || now.key === before.key) return;
        const last = box()?.list.at(-1);
        if (last?.nonce && before.key === `p-${last.nonce}`) return; // our pending message was confirmed
        if (atBottom() || last?.author.id === state.me?.id) queueMicrotask(toBottom);
        else setUnseen(unseen() + Math.max(1, now.n - before.n));
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
      // Keep the reader's place: once history is prepended, shift the scroll position by exactly
      // how far the first message in view moved (synchronously, so no frame shows the wrong place).
      const top = scroller.scrollTop;
      const anchor = virt.getVirtualItems().find((it) => it.end > top && rows()[it.index] && "m" in rows()[it.index]);
      const anchorKey = anchor?.key;
      const anchorStart = anchor?.start ?? 0;
      try {
        await actions.loadOlder(props.channelId);
        const i = rows().findIndex((r) => r.key === anchorKey);
        virt.getOffsetForIndex(i, "start"); // brings the measurements up to date
        const moved = i > 0 ? (virt.measurementsCache[i]?.start ?? anchorStart) - anchorStart : 0;
        if (moved > 0) scroller.scrollTop += moved;
      } finally {
        setLoadingOlder(false);
        // Still near the top (a tall window, or a short page): keep loading.
        if (scroller.scrollTop < 400 && box()?.hasMore) requestAnimationFrame(() => void onScroll());
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
        <div class="muted beginning" style={{ padding: "1rem" }}>This is the beginning of #{state.channels[props.channelId]?.name ?? "this conversation"}.</div>
      </Show>
      <div style={{ height: `${virt.getTotalSize()}px`, position: "relative", width: "100%" }}>
        {/* Keyed by row key, not by position: scrolling or prepending history moves rows, it does not rebuild them. */}
        <For each={visibleKeys()}>
          {(key) => {
            const item = () => visible().get(key);
            const row = () => {
              const it = item();
              return it ? rows()[it.index] : undefined;
            };
            return (
              <div data-index={item()?.index} ref={(el) => queueMicrotask(() => el.isConnected && virt.measureElement(el))} style={{ position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${item()?.start ?? 0}px)` }}>
                <Show when={row()} keyed>
                  {(rr) =>
                    "day" in rr ? (
                      <div class="day" role="separator">{rr.day}</div>
                    ) : (
                      <MessageItem m={rr.m} head={rr.head} editing={props.editing === rr.m.id} onEdit={props.onEdit} onReply={props.onReply} onJump={jump} />
                    )
                  }
                </Show>
              </div>
            );
          }}
        </For>
      </div>
    </div>
  );
}
