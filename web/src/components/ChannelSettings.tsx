import { For, Show, createSignal } from "solid-js";
import { api } from "../api/client";
import { useErrors } from "../lib/useErrors";
import { P, PERMISSION_TEXT } from "../lib/permissions";
import { displayName } from "../lib/format";
import { state } from "../state/store";
import Modal from "./Modal";

type Tri = "allow" | "deny" | "inherit";

export default function ChannelSettings(props: { channelId: string; onClose: () => void }) {
  const ch = () => state.channels[props.channelId];
  const g = () => state.guilds[ch()?.guild_id ?? ""];
  const [name, setName] = createSignal(ch()?.name ?? "");
  const [topic, setTopic] = createSignal(ch()?.topic ?? "");
  const [slow, setSlow] = createSignal(String(ch()?.rate_limit_per_user ?? 0));
  const [target, setTarget] = createSignal(ch()?.guild_id ?? "");
  const forum = () => ch()?.type === 15;
  const [tags, setTags] = createSignal((ch()?.available_tags ?? []).map((t) => t.name).join(", "));
  const [requireTag, setRequireTag] = createSignal(((ch()?.flags ?? 0) & 16) !== 0);
  const [minKarma, setMinKarma] = createSignal(String(ch()?.min_karma_to_post ?? 0));
  const [minAgeHours, setMinAgeHours] = createSignal(String(Math.round((ch()?.min_member_age_to_post ?? 0) / 3600)));
  const [archive, setArchive] = createSignal(String(ch()?.default_auto_archive_duration ?? 4320));
  const forumFields = () => {
    if (!forum()) return {};
    const old = ch()?.available_tags ?? [];
    const names = tags().split(",").map((t) => t.trim()).filter(Boolean);
    return {
      available_tags: names.map((n) => ({ ...(old.find((t) => t.name === n) ?? {}), name: n })),
      flags: requireTag() ? 16 : 0,
      min_karma_to_post: Number(minKarma()) || 0,
      min_member_age_to_post: (Number(minAgeHours()) || 0) * 3600,
      default_auto_archive_duration: Number(archive()),
    };
  };
  const [err, run] = useErrors();
  const ow = () => ch()?.permission_overwrites?.find((o) => o.id === target());
  const stateOf = (bit: bigint): Tri => {
    const o = ow();
    if (!o) return "inherit";
    if (BigInt(o.allow ?? "0") & bit) return "allow";
    if (BigInt(o.deny ?? "0") & bit) return "deny";
    return "inherit";
  };
  const set = (bit: bigint, v: Tri) => {
    const o = ow();
    let allow = BigInt(o?.allow ?? "0") & ~bit;
    let deny = BigInt(o?.deny ?? "0") & ~bit;
    if (v === "allow") allow |= bit;
    if (v === "deny") deny |= bit;
    const isRole = g()?.roles.some((r) => r.id === target());
    run(() => api("PUT", `/channels/${props.channelId}/permissions/${target()}`, { type: isRole ? 0 : 1, allow: allow.toString(), deny: deny.toString() }));
  };
  const targets = () => [
    ...(g()?.roles ?? []).map((r) => ({ id: r.id, label: `@${r.name === "@everyone" ? "everyone" : r.name}` })),
    ...Object.values(g()?.members ?? {}).filter((m) => m.user).map((m) => ({ id: m.user!.id, label: displayName(m.user!, g()) })),
  ];
  return (
    <Modal title={`#${ch()?.name ?? ""} settings`} onClose={props.onClose}>
      <label for="ch-name">Channel name</label>
      <input id="ch-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
      <Show when={ch()?.type !== 4}>
        <label for="ch-topic">Topic</label>
        <input id="ch-topic" value={topic()} onInput={(e) => setTopic(e.currentTarget.value)} />
        <label for="ch-slow">Slowmode</label>
        <select id="ch-slow" value={slow()} onChange={(e) => setSlow(e.currentTarget.value)}>
          <option value="0">Off</option><option value="5">5 seconds</option><option value="30">30 seconds</option><option value="60">1 minute</option><option value="600">10 minutes</option><option value="3600">1 hour</option>
        </select>
      </Show>
      <Show when={forum()}>
        <label for="ch-tags">Post tags (comma-separated)</label>
        <input id="ch-tags" value={tags()} onInput={(e) => setTags(e.currentTarget.value)} />
        <label class="tag-check"><input type="checkbox" checked={requireTag()} onChange={(e) => setRequireTag(e.currentTarget.checked)} /> Posts need a tag</label>
        <label for="ch-karma">Karma needed to post</label>
        <input id="ch-karma" type="number" value={minKarma()} onInput={(e) => setMinKarma(e.currentTarget.value)} />
        <label for="ch-age">Hours of membership needed to post</label>
        <input id="ch-age" type="number" min="0" value={minAgeHours()} onInput={(e) => setMinAgeHours(e.currentTarget.value)} />
        <label for="ch-archive">Archive posts after no activity for</label>
        <select id="ch-archive" value={archive()} onChange={(e) => setArchive(e.currentTarget.value)}>
          <option value="60">1 hour</option><option value="1440">1 day</option><option value="4320">3 days</option><option value="10080">1 week</option>
        </select>
      </Show>
      <div class="row" style={{ "margin-top": "1rem" }}>
        <button class="btn" onClick={() => run(() => api("PATCH", `/channels/${props.channelId}`, { name: name(), topic: topic() || null, rate_limit_per_user: Number(slow()), ...forumFields() }))}>Save</button>
        <button class="btn danger" onClick={() => confirm("Delete this channel?") && run(async () => { await api("DELETE", `/channels/${props.channelId}`); props.onClose(); })}>Delete channel</button>
      </div>
      <h3>Permissions</h3>
      <label for="ow-target">Role or member</label>
      <select id="ow-target" value={target()} onChange={(e) => setTarget(e.currentTarget.value)}>
        <For each={targets()}>{(t) => <option value={t.id}>{t.label}</option>}</For>
      </select>
      <div class="field-error" role="alert">{err()}</div>
      <For each={PERMISSION_TEXT.filter(([k]) => !["ADMINISTRATOR", "MANAGE_GUILD", "KICK_MEMBERS", "BAN_MEMBERS", "MODERATE_MEMBERS", "CHANGE_NICKNAME", "MANAGE_NICKNAMES", "MANAGE_EVENTS"].includes(k))}>
        {([key, title, text]) => (
          <div class="perm">
            <span class="grow" style={{ flex: 1 }}><strong>{title}</strong><br /><span class="muted">{text}</span></span>
            <select aria-label={`${title} for the selected role or member`} value={stateOf(P[key])} onChange={(e) => set(P[key], e.currentTarget.value as Tri)} style={{ width: "8rem" }}>
              <option value="inherit">Inherit</option>
              <option value="allow">Allow</option>
              <option value="deny">Deny</option>
            </select>
          </div>
        )}
      </For>
    </Modal>
  );
}
