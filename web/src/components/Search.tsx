// Message search: a box in the channel header that understands Discord's filters, with
// suggestions, a result list, and each result shown with the messages around it.
import { For, Show, createResource, createSignal } from "solid-js";
import { useNavigate } from "@solidjs/router";
import { Portal } from "solid-js/web";
import { ApiError, api } from "../api/client";
import type * as T from "../api/types";
import { displayName } from "../lib/format";
import { parseSearch, suggest } from "../lib/search";
import { state } from "../state/store";
import Modal from "./Modal";

type Results = { total_results: number; messages: T.Message[][] };

function Context(props: { hit: T.Message; onOpen: () => void }) {
  const [around] = createResource(() => api<T.Message[]>("GET", `/channels/${props.hit.channel_id}/messages?around=${props.hit.id}&limit=7`));
  return (
    <div class="search-context">
      <ul class="list" aria-label="Messages around the result">
        <For each={[...(around() ?? [])].reverse()}>
          {(m) => (
            <li classList={{ hit: m.id === props.hit.id }}>
              <span class="grow"><strong>{displayName(m.author)}</strong> {m.content}</span>
            </li>
          )}
        </For>
      </ul>
      <button class="btn" onClick={props.onOpen}>Go to the conversation</button>
    </div>
  );
}

export default function Search(props: { guildId?: string; channelId?: string }) {
  const nav = useNavigate();
  const [text, setText] = createSignal("");
  const [query, setQuery] = createSignal<string | null>(null);
  const [errors, setErrors] = createSignal<string[]>([]);
  const [page, setPage] = createSignal(0);
  const [open, setOpen] = createSignal<string | null>(null);
  const [focused, setFocused] = createSignal(false);
  const members = () => {
    const g = props.guildId ? state.guilds[props.guildId] : undefined;
    return g ? Object.keys(g.members).map((id) => state.users[id]).filter(Boolean) : [];
  };
  const channels = () => Object.values(state.channels).filter((c) => props.guildId && c.guild_id === props.guildId && c.name);
  const dir = {
    user: (n: string) => members().find((u) => u.username.toLowerCase() === n.toLowerCase() || displayName(u).toLowerCase() === n.toLowerCase())?.id,
    channel: (n: string) => channels().find((c) => c.name?.toLowerCase() === n.toLowerCase())?.id,
  };
  const [results] = createResource(
    () => (query() === null ? null : [query()!, page()] as const),
    async ([q, p]) => {
      const base = props.guildId ? `/guilds/${props.guildId}/messages/search` : `/channels/${props.channelId}/messages/search`;
      try {
        return await api<Results>("GET", `${base}?${q}${q ? "&" : ""}offset=${p * 25}`);
      } catch (e) {
        setErrors([e instanceof ApiError ? e.message : "Search failed."]);
        return { total_results: 0, messages: [] };
      }
    },
  );
  const run = () => {
    const { params, errors: errs } = parseSearch(text(), dir);
    setErrors(errs);
    setPage(0);
    setOpen(null);
    setQuery(params.toString());
  };
  const suggestions = () => suggest(text(), members().map((u) => u.username), channels().map((c) => c.name ?? ""));
  const chName = (id: string) => state.channels[id]?.name ?? "";
  return (
    <div class="search">
      <form role="search" onSubmit={(e) => { e.preventDefault(); run(); }}>
      <input type="search" aria-label="Search messages" placeholder="Search" value={text()}
        onInput={(e) => setText(e.currentTarget.value)}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        onKeyDown={(e) => {
          if (e.key === "Tab" && suggestions().length) {
            e.preventDefault();
            setText(text().replace(/\S*$/, suggestions()[0]));
          }
        }} />
      </form>
      <Show when={focused() && suggestions().length}>
        <ul class="list search-suggest" role="listbox" aria-label="Search suggestions">
          <For each={suggestions()}>{(s) => <li role="option"><button class="icon-btn grow" style={{ "text-align": "left" }} onMouseDown={(e) => { e.preventDefault(); setText(text().replace(/\S*$/, s)); }}>{s}</button></li>}</For>
        </ul>
      </Show>
      <Show when={query() !== null}>
        <Portal>
        <Modal title={`Search${results() ? ` — ${results()!.total_results >= 10000 ? "10,000+" : results()!.total_results} results` : ""}`} onClose={() => setQuery(null)}>
          <For each={errors()}>{(e) => <p class="field-error">{e}</p>}</For>
          <ul class="list" aria-label="Search results">
            <For each={results()?.messages ?? []} fallback={<li class="muted">{results.loading ? "Searching…" : "No messages match."}</li>}>
              {(hit) => (
                <li style={{ display: "block" }}>
                  <button class="icon-btn" style={{ "text-align": "left", width: "100%" }} onClick={() => setOpen(open() === hit[0].id ? null : hit[0].id)}>
                    <span class="muted">#{chName(hit[0].channel_id)} · {new Date(hit[0].timestamp).toLocaleString()}</span><br />
                    <strong>{displayName(hit[0].author)}</strong> {hit[0].content}
                  </button>
                  <Show when={open() === hit[0].id}>
                    <Context hit={hit[0]} onOpen={() => {
                      setQuery(null);
                      const c = state.channels[hit[0].channel_id];
                      nav(c?.guild_id ? `/channels/${c.guild_id}/${c.id}` : `/channels/@me/${hit[0].channel_id}`);
                    }} />
                  </Show>
                </li>
              )}
            </For>
          </ul>
          <div class="row">
            <button class="btn secondary" disabled={page() === 0} onClick={() => setPage(page() - 1)}>Newer</button>
            <button class="btn secondary" disabled={(page() + 1) * 25 >= Math.min(results()?.total_results ?? 0, 10000)} onClick={() => setPage(page() + 1)}>Older</button>
          </div>
        </Modal>
        </Portal>
      </Show>
    </div>
  );
}
