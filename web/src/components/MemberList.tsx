import { Avatar } from "./Media";
import { For, Show, createEffect, createMemo, createSignal } from "solid-js";
import { api } from "../api/client";
import { displayName, roleColor } from "../lib/format";
import { P, basePermissions, has } from "../lib/permissions";
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
        <ModActions userId={props.userId} g={props.g} />
      </Show>
    </Modal>
  );
}

const DURATIONS: [number, string][] = [[60, "60 seconds"], [300, "5 minutes"], [600, "10 minutes"], [3600, "1 hour"], [86400, "1 day"], [604800, "1 week"], [2419200, "28 days"]];
const PURGE: [number, string][] = [[0, "Keep their messages"], [3600, "Delete the last hour"], [86400, "Delete the last 24 hours"], [604800, "Delete the last 7 days"]];

/** Moderation from a member's card: timeout, kick, ban with message purge, roles, report. */
function ModActions(props: { userId: string; g: GuildState }) {
  const me = () => (state.me ? basePermissions(props.g, state.me.id) : 0n);
  const member = () => props.g.members[props.userId];
  const isOwner = () => props.userId === props.g.owner_id;
  const [secs, setSecs] = createSignal(600);
  const [purge, setPurge] = createSignal(0);
  const [reason, setReason] = createSignal("");
  const [msg, setMsg] = createSignal("");
  const run = async (f: () => Promise<unknown>, done: string) => {
    setMsg("");
    try {
      await f();
      setMsg(done);
    } catch (e) {
      setMsg((e as Error).message);
    }
  };
  const timedOutUntil = () => {
    const t = member()?.communication_disabled_until;
    return t && Date.parse(t) > Date.now() ? new Date(t).toLocaleString() : null;
  };
  const path = () => `/guilds/${props.g.id}/members/${props.userId}`;
  const assignable = () => props.g.roles.filter((r) => r.id !== props.g.id && !r.managed);
  return (
    <div class="mod-actions">
      <Show when={!isOwner() && has(me(), P.MODERATE_MEMBERS)}>
        <h4>Timeout</h4>
        <Show when={timedOutUntil()}>
          <p class="muted">Timed out until {timedOutUntil()}. <button class="icon-btn" onClick={() => run(() => api("PATCH", path(), { communication_disabled_until: null }), "Timeout removed.")}>Remove timeout</button></p>
        </Show>
        <div class="row">
          <select aria-label="Timeout duration" value={secs()} onChange={(e) => setSecs(Number(e.currentTarget.value))}>
            <For each={DURATIONS}>{([v, l]) => <option value={v}>{l}</option>}</For>
          </select>
          <button class="btn secondary" onClick={() => run(() => api("PATCH", path(), { communication_disabled_until: new Date(Date.now() + secs() * 1000).toISOString() }), "Timed out.")}>Time out</button>
        </div>
      </Show>
      <Show when={has(me(), P.MANAGE_ROLES) && assignable().length}>
        <h4>Roles</h4>
        <div class="row" style={{ "flex-wrap": "wrap" }}>
          <For each={assignable()}>
            {(r) => (
              <label style={{ margin: 0, "text-transform": "none" }}>
                <input type="checkbox" style={{ width: "auto" }} checked={member()?.roles.includes(r.id)}
                  onChange={(e) => run(() => api(e.currentTarget.checked ? "PUT" : "DELETE", `${path()}/roles/${r.id}`), "Roles updated.")} /> {r.name}
              </label>
            )}
          </For>
        </div>
      </Show>
      <Show when={!isOwner() && (has(me(), P.KICK_MEMBERS) || has(me(), P.BAN_MEMBERS))}>
        <h4>Remove</h4>
        <Show when={has(me(), P.KICK_MEMBERS)}>
          <button class="btn secondary" onClick={() => confirm("Kick this member? They can rejoin with an invite.") && run(() => api("DELETE", path()), "Kicked.")}>Kick</button>
        </Show>
        <Show when={has(me(), P.BAN_MEMBERS)}>
          <div class="row">
            <select aria-label="Delete their messages" value={purge()} onChange={(e) => setPurge(Number(e.currentTarget.value))}>
              <For each={PURGE}>{([v, l]) => <option value={v}>{l}</option>}</For>
            </select>
            <button class="btn danger" onClick={() => confirm("Ban this member?") && run(() => api("PUT", `/guilds/${props.g.id}/bans/${props.userId}`, { delete_message_seconds: purge() }), "Banned.")}>Ban</button>
          </div>
        </Show>
      </Show>
      <h4>Report</h4>
      <div class="row">
        <input class="grow" aria-label="Report reason" placeholder="What is wrong?" value={reason()} onInput={(e) => setReason(e.currentTarget.value)} />
        <button class="btn secondary" disabled={!reason().trim()} onClick={() => run(() => api("POST", `${path()}/reports`, { reason: reason() }), "Reported to the moderators.")}>Report</button>
      </div>
      <div class="muted" role="status">{msg()}</div>
    </div>
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
                <button class="member" classList={{ offline: grp.offline }} onClick={() => setOpen(id)} onContextMenu={(e) => { e.preventDefault(); setOpen(id); }}>
                  <span class="msg" style={{ display: "contents" }}><Avatar user={state.users[id]} name={displayName(state.users[id], g())} size={28} /></span>
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
