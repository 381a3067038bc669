import { Show, createSignal } from "solid-js";
import { ApiError, api, setToken } from "../api/client";
import * as actions from "../state/actions";
import { setState, state } from "../state/store";
import Modal from "./Modal";
import { Avatar } from "./Media";
import { fileToDataUri } from "../lib/upload";

export function applyTheme(theme = localStorage.getItem("coterie.theme") ?? "system") {
  document.documentElement.dataset.theme = theme;
}

export default function UserSettings(props: { onClose: () => void }) {
  const [tab, setTab] = createSignal("profile");
  const [name, setName] = createSignal(state.me?.global_name ?? "");
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [msg, setMsg] = createSignal("");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [theme, setTheme] = createSignal(localStorage.getItem("coterie.theme") ?? "system");
  const run = async (f: () => Promise<void>) => {
    setMsg("");
    setErrors({});
    try {
      await f();
    } catch (e) {
      if (e instanceof ApiError) setErrors({ ...e.fields(), _form: e.message });
    }
  };
  return (
    <Modal title="User settings" onClose={props.onClose}>
      <div class="tabs" role="tablist">
        {["profile", "password", "appearance", "sessions"].map((t) => (
          <button role="tab" aria-selected={tab() === t} onClick={() => setTab(t)}>{t[0].toUpperCase() + t.slice(1)}</button>
        ))}
      </div>
      <Show when={tab() === "profile"}>
        <div class="row" style={{ gap: ".8rem", "align-items": "center" }}>
          <Avatar user={state.me ?? undefined} name={state.me?.global_name ?? state.me?.username ?? "?"} size={64} />
          <label class="btn secondary" style={{ margin: 0 }}>
            Change avatar
            <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" hidden aria-label="Avatar image" onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f) run(async () => {
                const me = await api<typeof state.me>("PATCH", "/users/@me", { avatar: await fileToDataUri(f) });
                setState("me", me);
                setMsg("Avatar updated.");
              });
            }} />
          </label>
          <Show when={state.me?.avatar}>
            <button class="btn secondary" onClick={() => run(async () => setState("me", await api<typeof state.me>("PATCH", "/users/@me", { avatar: null })))}>Remove</button>
          </Show>
        </div>
        <div class="field-error">{errors().avatar}</div>
        <label for="display-name">Display name</label>
        <input id="display-name" value={name()} maxLength={32} onInput={(e) => setName(e.currentTarget.value)} />
        <div class="field-error">{errors().global_name}</div>
        <button class="btn full" onClick={() => run(async () => {
          const me = await api<typeof state.me>("PATCH", "/users/@me", { global_name: name() || null });
          setState("me", me);
          setMsg("Saved.");
        })}>Save</button>
      </Show>
      <Show when={tab() === "password"}>
        <label for="current-password">Current password</label>
        <input id="current-password" type="password" autocomplete="current-password" value={current()} onInput={(e) => setCurrent(e.currentTarget.value)} />
        <div class="field-error">{errors().password}</div>
        <label for="new-password">New password</label>
        <input id="new-password" type="password" autocomplete="new-password" value={next()} onInput={(e) => setNext(e.currentTarget.value)} />
        <div class="field-error">{errors().new_password}</div>
        <p class="muted">Changing your password logs out every other session.</p>
        <button class="btn full" onClick={() => run(async () => {
          const r = await api<{ token: string }>("PATCH", "/users/@me", { password: current(), new_password: next() });
          actions.disconnect();
          setToken(r.token);
          actions.connect();
          setCurrent("");
          setNext("");
          setMsg("Password changed; other sessions were logged out.");
        })}>Change password</button>
      </Show>
      <Show when={tab() === "appearance"}>
        <label for="theme">Theme</label>
        <select id="theme" value={theme()} onChange={(e) => {
          setTheme(e.currentTarget.value);
          localStorage.setItem("coterie.theme", e.currentTarget.value);
          applyTheme(e.currentTarget.value);
        }}>
          <option value="system">System</option>
          <option value="dark">Dark</option>
          <option value="light">Light</option>
        </select>
      </Show>
      <Show when={tab() === "sessions"}>
        <p>Log out of Coterie on every device and browser, including this one.</p>
        <button class="btn danger full" onClick={() => run(async () => {
          await api("POST", "/auth/logout?all=true");
          actions.disconnect();
          setToken(null);
          location.href = "/login";
        })}>Log out everywhere</button>
        <button class="btn secondary full" onClick={() => actions.logout()}>Log out</button>
      </Show>
      <p class="muted" role="status">{msg()}</p>
    </Modal>
  );
}
