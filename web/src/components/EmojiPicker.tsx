import { For } from "solid-js";

export const EMOJI = ["👍", "👎", "❤️", "😂", "😮", "😢", "😡", "🎉", "🔥", "👀", "✅", "❌", "🙏", "💯", "🚀", "🤔", "😊", "😎", "🥳", "👏", "💡", "⭐", "🍕", "☕"];

export default function EmojiPicker(props: { onPick: (e: string) => void; onClose: () => void }) {
  return (
    <div class="picker" role="dialog" aria-label="Pick an emoji" onKeyDown={(e) => e.key === "Escape" && props.onClose()}>
      <For each={EMOJI}>
        {(e) => (
          <button aria-label={`React with ${e}`} onClick={() => { props.onPick(e); props.onClose(); }}>
            {e}
          </button>
        )}
      </For>
    </div>
  );
}
