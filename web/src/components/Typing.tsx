import { createSignal, onCleanup } from "solid-js";
import { displayName } from "../lib/format";
import { state } from "../state/store";

export default function Typing(props: { channelId: string }) {
  const [now, setNow] = createSignal(Date.now());
  const t = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(t));
  const names = () => {
    const who = state.typing[props.channelId] ?? {};
    const ch = state.channels[props.channelId];
    const g = ch?.guild_id ? state.guilds[ch.guild_id] : undefined;
    return Object.entries(who)
      .filter(([, until]) => until > now())
      .map(([id]) => displayName(state.users[id], g));
  };
  const text = () => {
    const n = names();
    if (!n.length) return "";
    if (n.length === 1) return `${n[0]} is typing…`;
    if (n.length <= 3) return `${n.join(", ")} are typing…`;
    return "Several people are typing…";
  };
  return <div class="typing" aria-live="polite">{text()}</div>;
}
