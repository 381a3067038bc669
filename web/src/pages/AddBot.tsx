// The "Add bot" page: /oauth2/authorize?client_id=…&scope=bot&permissions=…
import { useNavigate, useSearchParams } from "@solidjs/router";
import { For, Show, createResource, createSignal } from "solid-js";
import { ApiError, api } from "../api/client";
import { P, PERMISSION_TEXT, has } from "../lib/permissions";

interface Info {
  application: { id: string; name: string; description: string };
  bot: { username: string } | null;
  guilds: { id: string; name: string; has_bot: boolean }[];
  permissions: string;
}

export default function AddBot() {
  const [params] = useSearchParams();
  const nav = useNavigate();
  const qs = () => new URLSearchParams({ client_id: String(params.client_id ?? ""), scope: String(params.scope ?? "bot"), permissions: String(params.permissions ?? "0") });
  const [info] = createResource(() => api<Info>("GET", `/oauth2/authorize?${qs()}`));
  const [guild, setGuild] = createSignal("");
  const [perms, setPerms] = createSignal(BigInt(String(params.permissions ?? "0")));
  const [err, setErr] = createSignal("");
  const [done, setDone] = createSignal(false);
  const authorize = async () => {
    setErr("");
    try {
      await api("POST", `/oauth2/authorize?${qs()}`, { guild_id: guild(), permissions: perms().toString(), authorize: true });
      setDone(true);
    } catch (e) {
      setErr(e instanceof ApiError ? Object.values(e.fields())[0] ?? e.message : "Failed");
    }
  };
  return (
    <main class="center">
      <div class="card">
        <Show when={!info.error} fallback={<><h1>Cannot add this bot</h1><p class="muted">{(info.error as Error)?.message}</p></>}>
          <Show when={info()} fallback={<p>Loading…</p>}>
            {(i) => (
              <Show when={!done()} fallback={<><h1>Added</h1><p>{i().application.name} joined the community.</p><button class="btn full" onClick={() => nav(`/channels/${guild()}`)}>Open the community</button></>}>
                <h1>Add {i().application.name}</h1>
                <p class="muted">{i().application.description || `@${i().bot?.username ?? ""}`}</p>
                <label for="bot-guild">Add to community</label>
                <select id="bot-guild" value={guild()} onChange={(e) => setGuild(e.currentTarget.value)}>
                  <option value="">Select a community</option>
                  <For each={i().guilds}>{(g) => <option value={g.id} disabled={g.has_bot}>{g.name}{g.has_bot ? " (already added)" : ""}</option>}</For>
                </select>
                <label>Permissions it gets</label>
                <For each={PERMISSION_TEXT}>
                  {([key, title]) => (
                    <label class="perm" style={{ "text-transform": "none", "font-weight": 400, color: "var(--fg)", margin: 0 }}>
                      <input type="checkbox" checked={has(perms(), P[key])} onChange={() => setPerms(perms() ^ P[key])} />
                      {title}
                    </label>
                  )}
                </For>
                <div class="field-error" role="alert">{err()}</div>
                <button class="btn full" disabled={!guild()} onClick={authorize}>Authorize</button>
              </Show>
            )}
          </Show>
        </Show>
      </div>
    </main>
  );
}
