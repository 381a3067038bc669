import { For, Show, createResource, createSignal } from "solid-js";
import { api } from "../api/client";
import type * as T from "../api/types";
import { P, PERMISSION_TEXT, basePermissions, has } from "../lib/permissions";
import { displayName } from "../lib/format";
import { type Role, state } from "../state/store";
import Modal from "./Modal";
import { CustomEmoji } from "./Media";
import { fileToDataUri } from "../lib/upload";
import { AuditLogView, AutoMod, Queue, Safety } from "./Moderation";
import { useErrors } from "../lib/useErrors";

function Overview(props: { guildId: string }) {
  const g = () => state.guilds[props.guildId];
  const [name, setName] = createSignal(g()?.name ?? "");
  const [desc, setDesc] = createSignal(g()?.description ?? "");
  const [err, run] = useErrors();
  return (
    <div>
      <label for="guild-name">Community name</label>
      <input id="guild-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
      <label for="guild-desc">Description</label>
      <textarea id="guild-desc" value={desc()} onInput={(e) => setDesc(e.currentTarget.value)} />
      <label for="guild-icon">Icon</label>
      <div class="row" style={{ gap: ".6rem", "align-items": "center" }}>
        <Show when={g()?.icon}>{(icon) => <img class="guild-icon-preview" src={`/cdn/icons/${props.guildId}/${icon()}.png?size=128`} alt="Community icon" width={64} height={64} />}</Show>
        <input id="guild-icon" type="file" accept="image/png,image/jpeg,image/gif,image/webp" onChange={(e) => {
          const f = e.currentTarget.files?.[0];
          if (f) run(async () => api("PATCH", `/guilds/${props.guildId}`, { icon: await fileToDataUri(f) }));
        }} />
      </div>
      <div class="field-error">{err()}</div>
      <button class="btn full" onClick={() => run(() => api("PATCH", `/guilds/${props.guildId}`, { name: name(), description: desc() || null }))}>Save</button>
    </div>
  );
}

function Emojis(props: { guildId: string }) {
  const list = () => state.guilds[props.guildId]?.emojis ?? [];
  const [name, setName] = createSignal("");
  const [file, setFile] = createSignal<File | null>(null);
  const [err, run] = useErrors();
  let input!: HTMLInputElement;
  return (
    <div>
      <p class="muted">Up to 50 emoji and 50 animated emoji, each at most 256 KB. Members use them as :name: in messages and as reactions.</p>
      <label for="emoji-file">Image</label>
      <input id="emoji-file" ref={input} type="file" accept="image/png,image/jpeg,image/gif,image/webp" onChange={(e) => {
        const f = e.currentTarget.files?.[0] ?? null;
        setFile(f);
        if (f && !name()) setName(f.name.replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9_]/g, "_").slice(0, 32));
      }} />
      <label for="emoji-name">Name</label>
      <input id="emoji-name" value={name()} maxLength={32} onInput={(e) => setName(e.currentTarget.value)} />
      <div class="field-error">{err()}</div>
      <button class="btn full" disabled={!file() || !name()} onClick={() => run(async () => {
        await api("POST", `/guilds/${props.guildId}/emojis`, { name: name(), image: await fileToDataUri(file()!) });
        setName("");
        setFile(null);
        input.value = "";
      })}>Upload emoji</button>
      <ul class="list" aria-label="Custom emoji">
        <For each={list()}>
          {(e) => (
            <li class="row" style={{ "align-items": "center", gap: ".5rem" }}>
              <CustomEmoji id={e.id} name={e.name} animated={e.animated} big />
              <span class="grow">:{e.name}:</span>
              <button class="btn danger" aria-label={`Delete :${e.name}:`} onClick={() => confirm(`Delete :${e.name}:?`) && run(() => api("DELETE", `/guilds/${props.guildId}/emojis/${e.id}`))}>Delete</button>
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}

function RoleEditor(props: { guildId: string; role: Role; canEdit: boolean }) {
  const [err, run] = useErrors();
  const perms = () => BigInt(props.role.permissions);
  const toggle = (bit: bigint) => run(() => api("PATCH", `/guilds/${props.guildId}/roles/${props.role.id}`, { permissions: (perms() ^ bit).toString() }));
  return (
    <div>
      <Show when={props.role.id !== props.guildId}>
        <div class="row">
          <input class="grow" aria-label="Role name" value={props.role.name} disabled={!props.canEdit}
            onChange={(e) => run(() => api("PATCH", `/guilds/${props.guildId}/roles/${props.role.id}`, { name: e.currentTarget.value }))} />
          <input type="color" aria-label="Role colour" style={{ width: "3rem" }} disabled={!props.canEdit} value={`#${props.role.color.toString(16).padStart(6, "0")}`}
            onChange={(e) => run(() => api("PATCH", `/guilds/${props.guildId}/roles/${props.role.id}`, { color: parseInt(e.currentTarget.value.slice(1), 16) }))} />
          <label style={{ margin: 0, display: "flex", gap: ".3rem", "align-items": "center" }}>
            <input type="checkbox" style={{ width: "auto" }} checked={props.role.hoist} disabled={!props.canEdit}
              onChange={(e) => run(() => api("PATCH", `/guilds/${props.guildId}/roles/${props.role.id}`, { hoist: e.currentTarget.checked }))} />
            Show separately
          </label>
        </div>
      </Show>
      <div class="field-error">{err()}</div>
      <For each={PERMISSION_TEXT}>
        {([key, title, text]) => (
          <label class="perm" style={{ "text-transform": "none", "font-weight": 400, color: "var(--fg)" }}>
            <input type="checkbox" checked={has(perms(), P[key])} disabled={!props.canEdit} onChange={() => toggle(P[key])} />
            <span><strong>{title}</strong><br /><span class="muted">{text}</span></span>
          </label>
        )}
      </For>
    </div>
  );
}

function Roles(props: { guildId: string }) {
  const g = () => state.guilds[props.guildId];
  const [selected, setSelected] = createSignal<string>(props.guildId);
  const [dragging, setDragging] = createSignal<string | null>(null);
  const [err, run] = useErrors();
  const roles = () => [...(g()?.roles ?? [])].sort((a, b) => b.position - a.position);
  const myTop = () => {
    const gg = g();
    if (!gg || !state.me) return 0;
    if (gg.owner_id === state.me.id) return Infinity;
    const mine = gg.members[state.me.id]?.roles ?? [];
    return Math.max(0, ...gg.roles.filter((r) => mine.includes(r.id)).map((r) => r.position));
  };
  const drop = (target: Role) => {
    const moving = dragging();
    setDragging(null);
    if (!moving || moving === target.id || target.id === props.guildId) return;
    run(() => api("PATCH", `/guilds/${props.guildId}/roles`, [{ id: moving, position: target.position }]));
  };
  return (
    <div class="row" style={{ "align-items": "flex-start" }}>
      <div style={{ width: "200px" }}>
        <button class="btn full" onClick={() => run(async () => {
          const r = await api<Role>("POST", `/guilds/${props.guildId}/roles`, { name: "new role" });
          setSelected(r.id);
        })}>Create role</button>
        <ul class="list" aria-label="Roles (drag to reorder)">
          <For each={roles()}>
            {(r) => (
              <li draggable={r.id !== props.guildId && r.position < myTop()} onDragStart={() => setDragging(r.id)} onDragOver={(e) => e.preventDefault()} onDrop={() => drop(r)}
                style={{ "background": selected() === r.id ? "var(--hover)" : undefined }}>
                <span class="swatch" style={{ background: `#${r.color.toString(16).padStart(6, "0")}` }} />
                <button class="icon-btn grow" style={{ "text-align": "left" }} onClick={() => setSelected(r.id)}>{r.name}</button>
                <Show when={r.id !== props.guildId && !r.managed && r.position < myTop()}>
                  <button class="icon-btn" aria-label={`Move ${r.name} up`} onClick={() => run(() => api("PATCH", `/guilds/${props.guildId}/roles`, [{ id: r.id, position: r.position + 1 }]))}>▲</button>
                  <button class="icon-btn" aria-label={`Delete ${r.name}`} onClick={() => confirm(`Delete ${r.name}?`) && run(() => api("DELETE", `/guilds/${props.guildId}/roles/${r.id}`))}>🗑</button>
                </Show>
              </li>
            )}
          </For>
        </ul>
        <div class="field-error">{err()}</div>
      </div>
      <div class="grow">
        <Show when={g()?.roles.find((r) => r.id === selected())} keyed>
          {(r) => <RoleEditor guildId={props.guildId} role={r} canEdit={r.id === props.guildId || r.position < myTop()} />}
        </Show>
      </div>
    </div>
  );
}

function Invites(props: { guildId: string }) {
  const [list, { refetch }] = createResource(() => api<T.Invite[]>("GET", `/guilds/${props.guildId}/invites`));
  const [age, setAge] = createSignal("86400");
  const [uses, setUses] = createSignal("0");
  const [created, setCreated] = createSignal("");
  const [err, run] = useErrors();
  const channel = () => state.guilds[props.guildId]?.system_channel_id ?? Object.values(state.channels).find((c) => c.guild_id === props.guildId && c.type === 0)?.id;
  return (
    <div>
      <div class="row">
        <select aria-label="Expires after" value={age()} onChange={(e) => setAge(e.currentTarget.value)}>
          <option value="1800">30 minutes</option><option value="3600">1 hour</option><option value="86400">1 day</option><option value="604800">7 days</option><option value="0">Never</option>
        </select>
        <select aria-label="Max uses" value={uses()} onChange={(e) => setUses(e.currentTarget.value)}>
          <option value="0">No limit</option><option value="1">1 use</option><option value="5">5 uses</option><option value="10">10 uses</option><option value="100">100 uses</option>
        </select>
        <button class="btn" onClick={() => run(async () => {
          const i = await api<T.Invite>("POST", `/channels/${channel()}/invites`, { max_age: Number(age()), max_uses: Number(uses()), unique: true });
          setCreated(`${location.origin}/invite/${i.code}`);
          refetch();
        })}>Create invite</button>
      </div>
      <Show when={created()}><p>Share this link: <input readOnly value={created()} aria-label="Invite link" onFocus={(e) => e.currentTarget.select()} /></p></Show>
      <div class="field-error">{err()}</div>
      <ul class="list">
        <For each={list() ?? []}>
          {(i) => (
            <li>
              <code class="grow">{i.code}</code>
              <span class="muted">{i.uses}/{i.max_uses || "∞"} · {i.expires_at ? `expires ${new Date(i.expires_at).toLocaleString()}` : "never expires"}</span>
              <button class="btn danger" onClick={() => run(async () => { await api("DELETE", `/invites/${i.code}`); refetch(); })}>Revoke</button>
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}

function Members(props: { guildId: string }) {
  const g = () => state.guilds[props.guildId];
  const [err, run] = useErrors();
  const me = () => (g() && state.me ? basePermissions(g()!, state.me.id) : 0n);
  const assignable = () => (g()?.roles ?? []).filter((r) => r.id !== props.guildId && !r.managed);
  return (
    <div>
      <div class="field-error">{err()}</div>
      <ul class="list">
        <For each={Object.values(g()?.members ?? {})}>
          {(m) => (
            <li>
              <span class="grow">{displayName(m.user ?? state.users[(m as T.Member & { user?: T.User }).user?.id ?? ""], g())}</span>
              <Show when={has(me(), P.MANAGE_ROLES)}>
                <select aria-label="Toggle role" onChange={(e) => {
                  const rid = e.currentTarget.value;
                  e.currentTarget.value = "";
                  if (!rid || !m.user) return;
                  const on = m.roles.includes(rid);
                  run(() => api(on ? "DELETE" : "PUT", `/guilds/${props.guildId}/members/${m.user!.id}/roles/${rid}`));
                }}>
                  <option value="">Roles…</option>
                  <For each={assignable()}>{(r) => <option value={r.id}>{m.roles.includes(r.id) ? "✓ " : ""}{r.name}</option>}</For>
                </select>
              </Show>
              <Show when={has(me(), P.KICK_MEMBERS) && m.user?.id !== g()?.owner_id && m.user?.id !== state.me?.id}>
                <button class="btn secondary" onClick={() => confirm("Kick this member?") && run(() => api("DELETE", `/guilds/${props.guildId}/members/${m.user!.id}`))}>Kick</button>
              </Show>
              <Show when={has(me(), P.BAN_MEMBERS) && m.user?.id !== g()?.owner_id && m.user?.id !== state.me?.id}>
                <button class="btn danger" onClick={() => confirm("Ban this member?") && run(() => api("PUT", `/guilds/${props.guildId}/bans/${m.user!.id}`, { delete_message_seconds: 0 }))}>Ban</button>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}

function Bans(props: { guildId: string }) {
  const [list, { refetch }] = createResource(() => api<T.Ban[]>("GET", `/guilds/${props.guildId}/bans`));
  const [err, run] = useErrors();
  return (
    <div>
      <div class="field-error">{err()}</div>
      <ul class="list">
        <For each={list() ?? []} fallback={<li class="muted">Nobody is banned.</li>}>
          {(b) => (
            <li>
              <span class="grow">{b.user.username} <span class="muted">{b.reason ?? ""}</span></span>
              <button class="btn secondary" onClick={() => run(async () => { await api("DELETE", `/guilds/${props.guildId}/bans/${b.user.id}`); refetch(); })}>Revoke ban</button>
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}

export default function GuildSettings(props: { guildId: string; onClose: () => void }) {
  const g = () => state.guilds[props.guildId];
  const perms = () => (g() && state.me ? basePermissions(g()!, state.me.id) : 0n);
  const tabs = () =>
    [
      ["overview", "Overview", P.MANAGE_GUILD],
      ["roles", "Roles", P.MANAGE_ROLES],
      ["emoji", "Emoji", P.MANAGE_GUILD_EXPRESSIONS | P.CREATE_GUILD_EXPRESSIONS],
      ["invites", "Invites", P.MANAGE_GUILD],
      ["members", "Members", P.KICK_MEMBERS | P.BAN_MEMBERS | P.MANAGE_ROLES],
      ["bans", "Bans", P.BAN_MEMBERS],
      ["safety", "Safety", P.MANAGE_GUILD],
      ["automod", "AutoMod", P.MANAGE_GUILD],
      ["queue", "Moderation queue", P.MANAGE_MESSAGES | P.MODERATE_MEMBERS],
      ["audit", "Audit log", P.VIEW_AUDIT_LOG],
    ].filter(([, , bit]) => (perms() & (bit as bigint)) !== 0n) as [string, string, bigint][];
  const [tab, setTab] = createSignal(tabs()[0]?.[0] ?? "overview");
  return (
    <Modal title={`${g()?.name ?? ""} settings`} onClose={props.onClose}>
      <div class="tabs" role="tablist">
        <For each={tabs()}>{([id, label]) => <button role="tab" aria-selected={tab() === id} onClick={() => setTab(id)}>{label}</button>}</For>
      </div>
      <Show when={tab() === "overview"}><Overview guildId={props.guildId} /></Show>
      <Show when={tab() === "roles"}><Roles guildId={props.guildId} /></Show>
      <Show when={tab() === "emoji"}><Emojis guildId={props.guildId} /></Show>
      <Show when={tab() === "invites"}><Invites guildId={props.guildId} /></Show>
      <Show when={tab() === "members"}><Members guildId={props.guildId} /></Show>
      <Show when={tab() === "bans"}><Bans guildId={props.guildId} /></Show>
      <Show when={tab() === "safety"}><Safety guildId={props.guildId} /></Show>
      <Show when={tab() === "automod"}><AutoMod guildId={props.guildId} /></Show>
      <Show when={tab() === "queue"}><Queue guildId={props.guildId} /></Show>
      <Show when={tab() === "audit"}><AuditLogView guildId={props.guildId} /></Show>
    </Modal>
  );
}
