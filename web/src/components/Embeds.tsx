// Rich embeds under a message: link previews, bots' embeds and AutoMod alerts. Text only (no
// HTML from the embed is ever rendered); images only over https (the app's content policy).
import { For, Show } from "solid-js";
import type * as T from "../api/types";
import { safeUrl } from "../lib/markdown";

type Embed = {
  type?: string; title?: string; url?: string; description?: string; color?: number;
  provider?: { name?: string }; author?: { name?: string };
  thumbnail?: { url?: string }; image?: { url?: string };
  fields?: { name: string; value: string }[]; footer?: { text?: string };
};

const img = (u?: string) => (u && /^https:\/\//i.test(u) ? u : undefined);

export default function Embeds(props: { m: T.Message }) {
  const list = () => (props.m.embeds ?? []) as unknown as Embed[];
  return (
    <For each={list()}>
      {(e) => (
        <div class="embed" style={{ "border-left-color": e.color ? `#${e.color.toString(16).padStart(6, "0")}` : undefined }} data-embed-type={e.type ?? "rich"}>
          <div class="embed-text">
            <Show when={e.provider?.name}><div class="muted embed-provider">{e.provider!.name}</div></Show>
            <Show when={e.author?.name}><div class="embed-author">{e.author!.name}</div></Show>
            <Show when={e.title}>
              <div class="embed-title">
                <Show when={e.url && safeUrl(e.url)} fallback={e.title}>
                  <a href={safeUrl(e.url!) ?? undefined} target="_blank" rel="noopener noreferrer nofollow">{e.title}</a>
                </Show>
              </div>
            </Show>
            <Show when={e.description}><div class="embed-description">{e.description}</div></Show>
            <For each={e.fields ?? []}>{(f) => <div class="embed-field"><strong>{f.name}</strong> {f.value}</div>}</For>
            <Show when={e.footer?.text}><div class="muted embed-footer">{e.footer!.text}</div></Show>
          </div>
          <Show when={img(e.thumbnail?.url)}><img class="embed-thumb" src={img(e.thumbnail?.url)} alt="" loading="lazy" referrerPolicy="no-referrer" /></Show>
          <Show when={img(e.image?.url)}><img class="embed-image" src={img(e.image?.url)} alt="" loading="lazy" referrerPolicy="no-referrer" /></Show>
        </div>
      )}
    </For>
  );
}
