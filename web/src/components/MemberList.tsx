import { For, Show, createEffect, createMemo, createSignal } from "solid-js";
import { displayName, initial, roleColor } from "../lib/format";
import * as actions from "../state/actions";
import { useNavigate } from "@solidjs/router";
import { type GuildState, state } from "../state/store";
import Modal from "./Modal";

function ProfileCard(props: { userId: string; g: GuildState; onClose: () => void }) {
  const nav = useNavigate();
  const u = () => state.users[props.userId];
  const roles = () => props.g.roles.filter((r) => props.g.members[props.userId]?.roles.includes(r.id));
  const [err, setErr] = createSignal("");
  return (
    <Modal title={displayName(u(), props.g)} onClose={props.onClose}>
      <p class="muted">@{u()?.username} · {state.presences[props.userId] ?? "offline"}</p>
      <p>
        <For each={roles()}>{(r) => <span class="pill" style={{ background: `#${r.color.toString(16).padStart(6, "0")}`, "margin-right": ".3rem" }}>{r.name}</span>}</For>
      </p>
      <Show when={props.userId !== state.me?.id}>
        <button
          class="btn"
          onClick={async () => {
            try {
              const ch = await actions.openDm(props.userId);
              props.onClose();
              nav(`/channels/@me/${ch.id}`);
            } catch (e) {
              setErr((e as Error).message);
            }
          }}
        >
          Message
        </button>
        <div class="field-error">{err()}</div>
      </Show>
    </Modal>
  );
}

export default function MemberList(props: { guildId: string }) {
  const g = () => state.guilds[props.guildId];
  const [open, setOpen] = createSignal<string | null>(null);
  createEffect(() => {
    const gg = g();
    if (gg && Object.keys(gg.members).length < Math.min(gg.member_count, 1000)) actions.requestMembers(gg.id);
  });
  const groups = createMemo(() => {
    const gg = g();
    if (!gg) return [];
    const hoisted = gg.roles.filter((r) => r.hoist && r.id !== gg.id).sort((a, b) => b.position - a.position);
    const buckets = new Map<string, string[]>();
    const offline: string[] = [];
    const online: string[] = [];
    for (const id of Object.keys(gg.members)) {
      const status = state.presences[id];
      if (!status || status === "offline") {
        offline.push(id);
        continue;
      }
      const top = hoisted.find((r) => gg.members[id].roles.includes(r.id));
      if (top) buckets.set(top.id, [...(buckets.get(top.id) ?? []), id]);
      else online.push(id);
    }
    const byName = (a: string, b: string) => displayName(state.users[a], gg).localeCompare(displayName(state.users[b], gg));
    const out = hoisted.filter((r) => buckets.has(r.id)).map((r) => ({ title: r.name, ids: buckets.get(r.id)!.sort(byName), offline: false }));
    if (online.length) out.push({ title: "Online", ids: online.sort(byName), offline: false });
    if (offline.length) out.push({ title: "Offline", ids: offline.sort(byName), offline: true });
    return out;
  });
  return (
    <aside class="members" aria-label="Members">
      <For each={groups()}>
        {(grp) => (
          <section>
            <h3>{grp.title} — {grp.ids.length}</h3>
            <For each={grp.ids}>
              {(id) => (
                <button class="member" classList={{ offline: grp.offline }} onClick={() => setOpen(id)}>
                  <span class="msg" style={{ display: "contents" }}><span class="avatar" style={{ width: "28px", height: "28px", margin: 0, "font-size": ".8rem" }}>{initial(displayName(state.users[id], g()))}</span></span>
                  <span class={`dot ${state.presences[id] ?? "offline"}`} aria-label={state.presences[id] ?? "offline"} />
                  <span style={{ color: roleColor(g(), id) }}>{displayName(state.users[id], g())}</span>
                </button>
              )}
            </For>
          </section>
        )}
      </For>
      <Show when={open() && g()}>
        <ProfileCard userId={open()!} g={g()!} onClose={() => setOpen(null)} />
      </Show>
    </aside>
  );
}
