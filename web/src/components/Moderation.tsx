// Server settings for keeping a community healthy: Safety (verification, rules screening, raid
// protection), AutoMod rules, the moderation queue and the audit log.
import { For, Show, createResource, createSignal } from "solid-js";
import { api } from "../api/client";
import { useErrors } from "../lib/useErrors";
import type * as T from "../api/types";
import { displayName } from "../lib/format";
import { state } from "../state/store";

const LEVELS = [
  "None",
  "Low — verified email",
  "Medium — verified email, account older than 5 minutes",
  "High — also a member for 10 minutes",
  "Highest — the same checks as High (Coterie has no phone verification)",
];

type Raid = { enabled: boolean; joins: number; seconds: number; pause_minutes: number; invites_paused_until: string | null };

export function Safety(props: { guildId: string }) {
  const g = () => state.guilds[props.guildId];
  const [err, run] = useErrors();
  const [rules, { refetch: refetchRules }] = createResource(() => api<T.GuildRules>("GET", `/guilds/${props.guildId}/rules`));
  const [raid, { refetch: refetchRaid }] = createResource(() => api<Raid>("GET", `/guilds/${props.guildId}/raid-protection`));
  const [draft, setDraft] = createSignal<string | null>(null);
  const ruleText = () => draft() ?? (rules()?.rules ?? []).join("\n");
  const saveRules = (enabled: boolean) =>
    run(async () => {
      await api("PUT", `/guilds/${props.guildId}/rules`, { enabled, rules: ruleText().split("\n").map((r) => r.trim()).filter(Boolean) });
      setDraft(null);
      refetchRules();
    });
  const setRaid = (body: Record<string, unknown>) => run(async () => { await api("PUT", `/guilds/${props.guildId}/raid-protection`, body); refetchRaid(); });
  return (
    <div>
      <label for="verification">Verification level</label>
      <select id="verification" value={String(g()?.verification_level ?? 0)}
        onChange={(e) => run(() => api("PATCH", `/guilds/${props.guildId}`, { verification_level: Number(e.currentTarget.value) }))}>
        <For each={LEVELS}>{(l, i) => <option value={i()}>{l}</option>}</For>
      </select>
      <p class="muted">Members with a role are not held back by the verification level.</p>
      <h3>Rules screening</h3>
      <label for="rules-text">Rules, one per line</label>
      <textarea id="rules-text" rows={4} value={ruleText()} onInput={(e) => setDraft(e.currentTarget.value)} />
      <div class="row">
        <button class="btn" onClick={() => saveRules(true)}>{rules()?.enabled ? "Save rules" : "Require new members to accept"}</button>
        <Show when={rules()?.enabled}><button class="btn secondary" onClick={() => saveRules(false)}>Turn screening off</button></Show>
      </div>
      <h3>Raid protection</h3>
      <Show when={raid()}>
        {(r) => (
          <div>
            <label class="row" style={{ "text-transform": "none" }}>
              <input type="checkbox" style={{ width: "auto" }} checked={r().enabled} onChange={(e) => setRaid({ enabled: e.currentTarget.checked })} />
              Pause invites when more than
              <input type="number" aria-label="Joins" style={{ width: "5rem" }} value={r().joins} onChange={(e) => setRaid({ joins: Number(e.currentTarget.value) })} />
              people join within
              <input type="number" aria-label="Seconds" style={{ width: "5rem" }} value={r().seconds} onChange={(e) => setRaid({ seconds: Number(e.currentTarget.value) })} />
              seconds
            </label>
            <Show when={r().invites_paused_until} fallback={<button class="btn secondary" onClick={() => setRaid({ invites_paused: true })}>Pause invites now</button>}>
              <p class="field-error">Invites are paused until {new Date(r().invites_paused_until!).toLocaleString()}.</p>
              <button class="btn" onClick={() => setRaid({ invites_paused: false })}>Resume invites</button>
            </Show>
          </div>
        )}
      </Show>
      <div class="field-error" role="alert">{err()}</div>
    </div>
  );
}

const TRIGGERS: Record<number, string> = { 1: "Keywords", 3: "Spam", 4: "Word lists", 5: "Mention spam", 6: "Member names", 1000: "Toxicity (local AI)", 1001: "Spam (local AI)" };
const ACTIONS: Record<number, string> = { 1: "block", 2: "alert", 3: "time out", 4: "block name", 100: "hold for review", 101: "report" };

export function AutoMod(props: { guildId: string }) {
  const [err, run] = useErrors();
  const [rules, { refetch }] = createResource(() => api<T.AutoModRule[]>("GET", `/guilds/${props.guildId}/auto-moderation/rules`));
  const [name, setName] = createSignal("Blocked words");
  const [kind, setKind] = createSignal(1);
  const [words, setWords] = createSignal("");
  const [notice, setNotice] = createSignal("");
  const [alertTo, setAlertTo] = createSignal("");
  const [timeout, setTimeoutSecs] = createSignal(0);
  const [threshold, setThreshold] = createSignal(0.8);
  const [response, setResponse] = createSignal(1);
  const channels = () => Object.values(state.channels).filter((c) => c.guild_id === props.guildId && c.type === 0);
  const create = () =>
    run(async () => {
      const actions: unknown[] = [];
      if (kind() >= 1000) actions.push({ type: response() });
      else actions.push({ type: kind() === 6 ? 4 : 1, metadata: notice() ? { custom_message: notice() } : {} });
      if (alertTo()) actions.push({ type: 2, metadata: { channel_id: alertTo() } });
      if (timeout() > 0 && [1, 5, 6, 1000].includes(kind())) actions.push({ type: 3, metadata: { duration_seconds: timeout() } });
      const list = words().split(/[\n,]/).map((w) => w.trim()).filter(Boolean);
      const meta: Record<string, unknown> = {};
      if (kind() === 1 || kind() === 6) meta.keyword_filter = list;
      if (kind() === 4) meta.presets = [1, 2, 3];
      if (kind() === 5) meta.mention_total_limit = Number(list[0] ?? 5) || 5;
      if (kind() >= 1000) meta.threshold = threshold();
      await api("POST", `/guilds/${props.guildId}/auto-moderation/rules`, {
        name: name(), event_type: kind() === 6 ? 2 : 1, trigger_type: kind(), trigger_metadata: meta, actions, enabled: true,
      });
      setWords("");
      refetch();
    });
  return (
    <div>
      <ul class="list" aria-label="AutoMod rules">
        <For each={rules() ?? []} fallback={<li class="muted">No rules yet.</li>}>
          {(r) => (
            <li>
              <span class="grow">
                <strong>{r.name}</strong> <span class="muted">{TRIGGERS[r.trigger_type] ?? r.trigger_type} · {r.actions.map((a) => ACTIONS[a.type] ?? a.type).join(", ")}</span>
                <Show when={r.trigger_metadata.keyword_filter?.length}><br /><span class="muted">{r.trigger_metadata.keyword_filter!.slice(0, 12).join(", ")}</span></Show>
              </span>
              <label style={{ margin: 0 }}><input type="checkbox" style={{ width: "auto" }} checked={r.enabled} aria-label={`Enable ${r.name}`}
                onChange={(e) => run(async () => { await api("PATCH", `/guilds/${props.guildId}/auto-moderation/rules/${r.id}`, { enabled: e.currentTarget.checked }); refetch(); })} /></label>
              <button class="btn danger" onClick={() => run(async () => { await api("DELETE", `/guilds/${props.guildId}/auto-moderation/rules/${r.id}`); refetch(); })}>Delete</button>
            </li>
          )}
        </For>
      </ul>
      <h3>New rule</h3>
      <label for="am-name">Name</label>
      <input id="am-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
      <label for="am-kind">Trigger</label>
      <select id="am-kind" value={kind()} onChange={(e) => setKind(Number(e.currentTarget.value))}>
        <For each={Object.entries(TRIGGERS)}>{([k, v]) => <option value={k}>{v}</option>}</For>
      </select>
      <Show when={[1, 5, 6].includes(kind())}>
        <label for="am-words">{kind() === 5 ? "Most mentions allowed in one message" : "Keywords (comma or line separated; * wildcards: cat*, *cat, *cat*)"}</label>
        <textarea id="am-words" rows={3} value={words()} onInput={(e) => setWords(e.currentTarget.value)} />
      </Show>
      <Show when={kind() >= 1000}>
        <label for="am-threshold">Threshold (0–1)</label>
        <input id="am-threshold" type="number" step="0.05" min="0" max="1" value={threshold()} onInput={(e) => setThreshold(Number(e.currentTarget.value))} />
        <label for="am-response">When it fires</label>
        <select id="am-response" value={response()} onChange={(e) => setResponse(Number(e.currentTarget.value))}>
          <option value={1}>Block the message</option>
          <option value={100}>Hold it for review</option>
          <option value={101}>Let it through and report it</option>
        </select>
      </Show>
      <Show when={kind() < 1000}>
        <label for="am-notice">Notice shown to the sender (optional, 150 characters)</label>
        <input id="am-notice" maxLength={150} value={notice()} onInput={(e) => setNotice(e.currentTarget.value)} />
      </Show>
      <label for="am-alert">Alert moderators in</label>
      <select id="am-alert" value={alertTo()} onChange={(e) => setAlertTo(e.currentTarget.value)}>
        <option value="">No alert</option>
        <For each={channels()}>{(c) => <option value={c.id}>#{c.name}</option>}</For>
      </select>
      <label for="am-timeout">Time the sender out</label>
      <select id="am-timeout" value={timeout()} onChange={(e) => setTimeoutSecs(Number(e.currentTarget.value))}>
        <option value={0}>No timeout</option>
        <option value={60}>60 seconds</option>
        <option value={600}>10 minutes</option>
        <option value={3600}>1 hour</option>
        <option value={86400}>1 day</option>
      </select>
      <div class="field-error" role="alert">{err()}</div>
      <button class="btn full" onClick={create}>Create rule</button>
    </div>
  );
}

export function Queue(props: { guildId: string }) {
  const g = () => state.guilds[props.guildId];
  const [status, setStatus] = createSignal("open");
  const [err, run] = useErrors();
  const [list, { refetch }] = createResource(status, (s) => api<T.Report[]>("GET", `/guilds/${props.guildId}/reports?status=${s}`));
  const who = (id: string) => displayName(state.users[id], g()) || id;
  const act = (r: T.Report, body: Record<string, unknown>) => run(async () => { await api("PATCH", `/guilds/${props.guildId}/reports/${r.id}`, body); refetch(); });
  return (
    <div>
      <div class="tabs" role="tablist" aria-label="Report status">
        <For each={["open", "resolved", "dismissed"]}>{(s) => <button role="tab" aria-selected={status() === s} onClick={() => setStatus(s)}>{s}</button>}</For>
      </div>
      <div class="field-error" role="alert">{err()}</div>
      <ul class="list" aria-label="Reports">
        <For each={list() ?? []} fallback={<li class="muted">Nothing here.</li>}>
          {(r) => (
            <li style={{ "flex-wrap": "wrap" }}>
              <span class="grow">
                <strong>{who(r.target_user_id)}</strong> <span class="muted">· {r.source === "automod" ? "AutoMod" : `${r.reporter_count} report${r.reporter_count === 1 ? "" : "s"}`} · {new Date(r.created_at).toLocaleString()}</span>
                <br />{r.reason}
                <Show when={r.content}><blockquote class="muted" style={{ margin: ".3rem 0" }}>{r.content}</blockquote></Show>
                <Show when={r.action}><span class="muted">Action: {r.action}</span></Show>
              </span>
              <Show when={r.status === "open"}>
                <Show when={r.message_id}><button class="btn danger" onClick={() => act(r, { status: "resolved", action: "delete" })}>Delete message</button></Show>
                <Show when={!r.message_id && r.content}><button class="btn" onClick={() => act(r, { status: "resolved", action: "approve" })}>Approve</button></Show>
                <button class="btn secondary" onClick={() => act(r, { status: "resolved", action: "timeout", duration_seconds: 3600 })}>Time out 1 h</button>
                <button class="btn secondary" onClick={() => confirm("Kick this member?") && act(r, { status: "resolved", action: "kick" })}>Kick</button>
                <button class="btn danger" onClick={() => confirm("Ban this member?") && act(r, { status: "resolved", action: "ban" })}>Ban</button>
                <button class="btn secondary" onClick={() => act(r, { status: "dismissed" })}>Dismiss</button>
                <Show when={!r.escalated}><button class="btn secondary" onClick={() => act(r, { escalate: true })}>Escalate to instance</button></Show>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}

const ACTION_NAMES: Record<number, string> = {
  1: "updated the community", 10: "created a channel", 11: "updated a channel", 12: "deleted a channel",
  13: "added channel permissions", 14: "changed channel permissions", 15: "removed channel permissions",
  20: "kicked", 22: "banned", 23: "unbanned", 24: "updated member", 25: "changed roles of", 28: "added bot",
  30: "created a role", 31: "updated a role", 32: "deleted a role", 40: "created an invite", 42: "deleted an invite",
  50: "created a webhook", 51: "updated a webhook", 52: "deleted a webhook", 72: "deleted a message by", 73: "bulk-deleted messages",
  74: "pinned a message by", 75: "unpinned a message by", 110: "created a thread", 111: "updated a thread", 112: "deleted a thread",
  140: "created an AutoMod rule", 141: "updated an AutoMod rule", 142: "deleted an AutoMod rule",
  143: "— AutoMod blocked a message", 144: "— AutoMod flagged a message", 145: "— AutoMod timed out",
  1000: "handled a report about", 1001: "changed the rules", 1002: "— invites paused or resumed", 1003: "— AutoMod held a message",
};

export function AuditLogView(props: { guildId: string }) {
  const g = () => state.guilds[props.guildId];
  const [action, setAction] = createSignal("");
  const [user, setUser] = createSignal("");
  const [log] = createResource(
    () => [action(), user()] as const,
    ([a, u]) => api<T.AuditLog>("GET", `/guilds/${props.guildId}/audit-logs?limit=100${a ? `&action_type=${a}` : ""}${u ? `&user_id=${u}` : ""}`),
  );
  const name = (id: string | null | undefined) => {
    if (!id) return "System";
    const u = log()?.users.find((x) => x.id === id) ?? state.users[id];
    return u ? displayName(u, g()) : id;
  };
  const isUserTarget = (t: number) => (t >= 20 && t <= 28) || t === 72 || t === 74 || t === 75 || t === 1000;
  return (
    <div>
      <div class="row">
        <select aria-label="Filter by action" value={action()} onChange={(e) => setAction(e.currentTarget.value)}>
          <option value="">All actions</option>
          <For each={Object.entries(ACTION_NAMES)}>{([k, v]) => <option value={k}>{k} · {v.replace(/^— /, "")}</option>}</For>
        </select>
        <select aria-label="Filter by moderator" value={user()} onChange={(e) => setUser(e.currentTarget.value)}>
          <option value="">Everyone</option>
          <For each={Object.keys(g()?.members ?? {})}>{(id) => <option value={id}>{displayName(state.users[id], g())}</option>}</For>
        </select>
      </div>
      <ul class="list" aria-label="Audit log">
        <For each={log()?.audit_log_entries ?? []} fallback={<li class="muted">No entries.</li>}>
          {(e) => (
            <li>
              <span class="grow">
                <strong>{name(e.user_id)}</strong> {ACTION_NAMES[e.action_type] ?? `action ${e.action_type}`}
                <Show when={isUserTarget(e.action_type) && e.target_id}> <strong>{name(e.target_id)}</strong></Show>
                <Show when={e.changes?.length}><span class="muted"> · {e.changes!.map((c) => c.key).join(", ")}</span></Show>
                <Show when={e.reason}><br /><span class="muted">Reason: {e.reason}</span></Show>
              </span>
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}
