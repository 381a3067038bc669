// Renders parsed markdown as Solid elements: text is always text, never HTML.
import { For, Match, Switch, createSignal } from "solid-js";
import { type Node, parse } from "../lib/markdown";
import { state } from "../state/store";
import { CustomEmoji } from "./Media";

function Spoiler(props: { c: Node[] }) {
  const [shown, setShown] = createSignal(false);
  return (
    <span class="spoiler" classList={{ shown: shown() }} role="button" tabIndex={0} onClick={() => setShown(true)} onKeyDown={(e) => e.key === "Enter" && setShown(true)}>
      <Nodes nodes={props.c} />
    </span>
  );
}

function userName(id: string, guildId?: string | null) {
  const m = guildId ? state.guilds[guildId]?.members[id] : undefined;
  const u = state.users[id];
  return m?.nick ?? u?.global_name ?? u?.username ?? "unknown-user";
}

function One(props: { n: Node; guildId?: string | null }) {
  const n = props.n;
  return (
    <Switch>
      <Match when={n.k === "text" && n}>{(t) => t().v}</Match>
      <Match when={n.k === "br"}>
        <br />
      </Match>
      <Match when={n.k === "b" && n}>{(x) => <strong><Nodes nodes={x().c} guildId={props.guildId} /></strong>}</Match>
      <Match when={n.k === "i" && n}>{(x) => <em><Nodes nodes={x().c} guildId={props.guildId} /></em>}</Match>
      <Match when={n.k === "u" && n}>{(x) => <u><Nodes nodes={x().c} guildId={props.guildId} /></u>}</Match>
      <Match when={n.k === "s" && n}>{(x) => <s><Nodes nodes={x().c} guildId={props.guildId} /></s>}</Match>
      <Match when={n.k === "spoiler" && n}>{(x) => <Spoiler c={x().c} />}</Match>
      <Match when={n.k === "quote" && n}>{(x) => <blockquote><Nodes nodes={x().c} guildId={props.guildId} /></blockquote>}</Match>
      <Match when={n.k === "code" && n}>{(x) => <code>{x().v}</code>}</Match>
      <Match when={n.k === "pre" && n}>{(x) => <pre><code>{x().v}</code></pre>}</Match>
      <Match when={n.k === "link" && n}>
        {(x) => (
          <a href={x().href} target="_blank" rel="noopener noreferrer nofollow ugc">
            <Nodes nodes={x().c} guildId={props.guildId} />
          </a>
        )}
      </Match>
      <Match when={n.k === "user" && n}>{(x) => <span class="mention-chip">@{userName(x().id, props.guildId)}</span>}</Match>
      <Match when={n.k === "role" && n}>
        {(x) => <span class="mention-chip">@{(props.guildId && state.guilds[props.guildId]?.roles.find((r) => r.id === x().id)?.name) || "deleted-role"}</span>}
      </Match>
      <Match when={n.k === "channel" && n}>{(x) => <span class="mention-chip">#{state.channels[x().id]?.name ?? "unknown"}</span>}</Match>
      <Match when={n.k === "everyone" && n}>{(x) => <span class="mention-chip">{x().v}</span>}</Match>
      <Match when={n.k === "emoji" && n}>{(x) => <CustomEmoji id={x().id} name={x().name} animated={x().animated} />}</Match>
    </Switch>
  );
}

export function Nodes(props: { nodes: Node[]; guildId?: string | null }) {
  return <For each={props.nodes}>{(n) => <One n={n} guildId={props.guildId} />}</For>;
}

export default function Markdown(props: { text: string; guildId?: string | null }) {
  return <Nodes nodes={parse(props.text)} guildId={props.guildId} />;
}
