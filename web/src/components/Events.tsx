// Upcoming scheduled events of a community, with RSVP ("Interested") and creation.
import { For, Show, createResource, createSignal } from "solid-js";
import { ApiError, api } from "../api/client";
import { P, basePermissions, has } from "../lib/permissions";
import { state } from "../state/store";
import Modal from "./Modal";

interface Ev {
  id: string;
  name: string;
  description: string | null;
  scheduled_start_time: string;
  scheduled_end_time: string | null;
  status: number;
  entity_metadata: { location: string } | null;
  user_count: number;
}

export default function Events(props: { guildId: string; onClose: () => void }) {
  const [list, { refetch }] = createResource(() => api<Ev[]>("GET", `/guilds/${props.guildId}/scheduled-events?with_user_count=true`));
  const [mine, setMine] = createSignal<Record<string, boolean>>({});
  const [name, setName] = createSignal("");
  const [where, setWhere] = createSignal("");
  const [start, setStart] = createSignal("");
  const [end, setEnd] = createSignal("");
  const [err, setErr] = createSignal("");
  const canCreate = () => {
    const g = state.guilds[props.guildId];
    if (!g || !state.me) return false;
    const p = basePermissions(g, state.me.id);
    return has(p, P.MANAGE_EVENTS) || has(p, 1n << 44n);
  };
  const toggle = async (e: Ev) => {
    const on = !mine()[e.id];
    await api(on ? "PUT" : "DELETE", `/guilds/${props.guildId}/scheduled-events/${e.id}/users/@me`).catch(() => {});
    setMine({ ...mine(), [e.id]: on });
    refetch();
  };
  const create = async () => {
    setErr("");
    try {
      await api("POST", `/guilds/${props.guildId}/scheduled-events`, {
        name: name(), entity_type: 3, privacy_level: 2, entity_metadata: { location: where() },
        scheduled_start_time: start() ? new Date(start()).toISOString() : "", scheduled_end_time: end() ? new Date(end()).toISOString() : null,
      });
      setName("");
      refetch();
    } catch (e) {
      setErr(e instanceof ApiError ? Object.values(e.fields())[0] ?? e.message : "Failed");
    }
  };
  const upcoming = () => (list() ?? []).filter((e) => e.status === 1 || e.status === 2);
  return (
    <Modal title="Events" onClose={props.onClose}>
      <ul class="list">
        <For each={upcoming()} fallback={<li class="muted">No upcoming events.</li>}>
          {(e) => (
            <li>
              <div class="grow">
                <strong>{e.name}</strong> {e.status === 2 ? <span class="pill" style={{ background: "var(--ok)" }}>LIVE</span> : null}
                <div class="muted">{new Date(e.scheduled_start_time).toLocaleString()} · {e.entity_metadata?.location ?? "voice"} · {e.user_count} interested</div>
                <Show when={e.description}><div>{e.description}</div></Show>
              </div>
              <button class="btn" classList={{ secondary: !mine()[e.id] }} aria-pressed={!!mine()[e.id]} onClick={() => toggle(e)}>{mine()[e.id] ? "Interested ✓" : "Interested"}</button>
            </li>
          )}
        </For>
      </ul>
      <Show when={canCreate()}>
        <h3>Schedule an event</h3>
        <label for="ev-name">Name</label>
        <input id="ev-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="ev-where">Where</label>
        <input id="ev-where" value={where()} onInput={(e) => setWhere(e.currentTarget.value)} />
        <div class="row">
          <div class="grow"><label for="ev-start">Starts</label><input id="ev-start" type="datetime-local" value={start()} onInput={(e) => setStart(e.currentTarget.value)} /></div>
          <div class="grow"><label for="ev-end">Ends</label><input id="ev-end" type="datetime-local" value={end()} onInput={(e) => setEnd(e.currentTarget.value)} /></div>
        </div>
        <div class="field-error" role="alert">{err()}</div>
        <button class="btn full" onClick={create}>Schedule</button>
      </Show>
    </Modal>
  );
}
