import { For, Show } from "solid-js";
import { state } from "../state/store";
import { CustomEmoji } from "./Media";

export const EMOJI = ["👍", "👎", "❤️", "😂", "😮", "😢", "😡", "🎉", "🔥", "👀", "✅", "❌", "🙏", "💯", "🚀", "🤔", "😊", "😎", "🥳", "👏", "💡", "⭐", "🍕", "☕"];

/** Unicode emoji, then the community's own (picked as `name:id`). */
export default function EmojiPicker(props: { onPick: (e: string) => void; onClose: () => void; guildId?: string; verb?: string }) {
  const custom = () => (props.guildId ? state.guilds[props.guildId]?.emojis ?? [] : []).filter((e) => e.available);
  return (
    <div class="picker" role="dialog" aria-label="Pick an emoji" onKeyDown={(e) => e.key === "Escape" && props.onClose()}>
      <Show when={custom().length}>
        <For each={custom()}>
          {(e) => (
            <button aria-label={`${props.verb ?? "React with"} :${e.name}:`} onClick={() => { props.onPick(`${e.name}:${e.id}`); props.onClose(); }}>
              <CustomEmoji id={e.id} name={e.name} animated={e.animated} />
            </button>
          )}
        </For>
      </Show>
      <For each={EMOJI}>
        {(e) => (
          <button aria-label={`${props.verb ?? "React with"} ${e}`} onClick={() => { props.onPick(e); props.onClose(); }}>
            {e}
          </button>
        )}
      </For>
    </div>
  );
}
