import { For, Show, createResource, createSignal } from "solid-js";
import { ApiError, api } from "../api/client";
import { type Command, parseOptions } from "../lib/commands";
import { P, channelPermissions, has } from "../lib/permissions";
import { displayName } from "../lib/format";
import * as actions from "../state/actions";
import EmojiPicker from "./EmojiPicker";
import { withCustomEmoji } from "../lib/markdown";
import { MAX_FILE_BYTES, type Upload, formatSize } from "../lib/upload";
import { type Message, state } from "../state/store";

export default function Composer(props: { channelId: string; replyTo: Message | null; onCancelReply: () => void; onEditLast: () => void }) {
  const [text, setText] = createSignal("");
  const [files, setFiles] = createSignal<File[]>([]);
  const [progress, setProgress] = createSignal<number | null>(null);
  const [dragging, setDragging] = createSignal(false);
  let upload: Upload | null = null;
  let picker!: HTMLInputElement;
  let box!: HTMLTextAreaElement;
  const [emojiOpen, setEmojiOpen] = createSignal(false);
  /** Puts an emoji (unicode, or `name:id` of a custom one as `:name:`) at the cursor. */
  const insertEmoji = (e: string) => {
    const token = e.includes(":") ? `:${e.split(":")[0]}: ` : e;
    const at = box?.selectionStart ?? text().length;
    setText(text().slice(0, at) + token + text().slice(at));
    queueMicrotask(() => {
      box?.focus();
      box?.setSelectionRange(at + token.length, at + token.length);
    });
  };
  const canAttach = () => {
    const ch = state.channels[props.channelId];
    const g = ch?.guild_id ? state.guilds[ch.guild_id] : undefined;
    return !g || !state.me || has(channelPermissions(g, ch!, state.me.id), P.ATTACH_FILES);
  };
  const addFiles = (list: FileList | File[] | null | undefined) => {
    const incoming = [...(list ?? [])];
    if (!incoming.length) return;
    if (!canAttach()) {
      setCmdError("You do not have permission to attach files in this channel.");
      return;
    }
    const tooBig = incoming.find((f) => f.size > MAX_FILE_BYTES);
    if (tooBig) {
      setCmdError(`${tooBig.name} is larger than ${formatSize(MAX_FILE_BYTES)}.`);
      return;
    }
    setCmdError("");
    setFiles([...files(), ...incoming].slice(0, 10));
  };
  const sendFiles = async (t: string) => {
    setProgress(0);
    setCmdError("");
    upload = actions.sendWithFiles(props.channelId, t, files(), props.replyTo?.id, setProgress);
    try {
      await upload.done;
      setFiles([]);
      setText("");
      props.onCancelReply();
    } catch (e) {
      if (!(e instanceof ApiError && e.code === -1)) setCmdError(actions.failureText(e));
    } finally {
      upload = null;
      setProgress(null);
    }
  };
  const [cmdError, setCmdError] = createSignal("");
  const [running, setRunning] = createSignal(false);
  let lastTyping = 0;
  const guildId = () => state.channels[props.channelId]?.guild_id ?? undefined;
  const [index, { refetch: refetchCommands }] = createResource(guildId, (g) =>
    api<{ application_commands: Command[]; applications: { id: string; name: string }[] }>("GET", `/guilds/${g}/application-command-index`).catch(() => ({ application_commands: [], applications: [] })),
  );
  const suggestions = () => {
    const t = text();
    if (!t.startsWith("/") || t.includes(" ")) return [];
    return (index()?.application_commands ?? []).filter((c) => c.type === 1 && c.name.startsWith(t.slice(1).toLowerCase())).slice(0, 8);
  };
  const appName = (id: string) => index()?.applications.find((a) => a.id === id)?.name ?? "";
  const runCommand = async (t: string): Promise<boolean> => {
    const [head, ...rest] = t.slice(1).split(" ");
    const cmd = (index()?.application_commands ?? []).find((c) => c.name === head.toLowerCase() && c.type === 1);
    if (!cmd) return false;
    const parsed = parseOptions(cmd, rest.join(" "));
    if ("error" in parsed) {
      setCmdError(parsed.error);
      return true;
    }
    setRunning(true);
    setCmdError("");
    try {
      await api("POST", "/interactions", {
        type: 2, application_id: cmd.application_id, guild_id: guildId(), channel_id: props.channelId,
        data: { id: cmd.id, name: cmd.name, type: 1, options: parsed.options }, nonce: String(Date.now()),
      });
      setText("");
    } catch (e) {
      setCmdError(e instanceof ApiError ? e.message : "The command failed.");
    } finally {
      setRunning(false);
    }
    return true;
  };
  const pending = () => {
    const g = guildId();
    return g && state.me ? state.guilds[g]?.members[state.me.id]?.pending === true : false;
  };
  const [rules] = createResource(() => (pending() ? guildId() : undefined), (g) => api<{ enabled: boolean; rules: string[] }>("GET", `/guilds/${g}/rules`).catch(() => null));
  const canSend = () => {
    const ch = state.channels[props.channelId];
    const g = ch?.guild_id ? state.guilds[ch.guild_id] : undefined;
    if (!g || !state.me) return true;
    if (g.members[state.me.id]?.pending && rules()?.enabled !== false) return false;
    const until = g.members[state.me.id]?.communication_disabled_until;
    if (until && Date.parse(until) > Date.now()) return false;
    return has(channelPermissions(g, ch!, state.me.id), P.SEND_MESSAGES);
  };
  const timeoutEnds = () => {
    const ch = state.channels[props.channelId];
    const until = ch?.guild_id && state.me ? state.guilds[ch.guild_id]?.members[state.me.id]?.communication_disabled_until : null;
    return until && Date.parse(until) > Date.now() ? new Date(until).toLocaleString() : null;
  };
  const send = async () => {
    const t = withCustomEmoji(text().trim(), guildId() ? state.guilds[guildId()!]?.emojis ?? [] : []);
    if (files().length) return sendFiles(t);
    if (!t) return;
    if (t.startsWith("/") && (await runCommand(t))) return;
    actions.sendMessage(props.channelId, t, props.replyTo?.id);
    setText("");
    props.onCancelReply();
  };
  const placeholder = () => {
    const ch = state.channels[props.channelId];
    if (!ch) return "Message";
    if (ch.type === 1) return `Message @${displayName(ch.recipients?.[0])}`;
    return `Message #${ch.name ?? ""}`;
  };
  return (
    <div
      class="composer"
      classList={{ dragging: dragging() }}
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        addFiles(e.dataTransfer?.files);
      }}
    >
      <Show when={files().length}>
        <ul class="pending-files" aria-label="Files to send">
          <For each={files()}>
            {(f, i) => (
              <li class="file-chip">
                <span>📄 {f.name}</span> <span class="muted">{formatSize(f.size)}</span>
                <Show when={progress() === null}>
                  <button class="icon-btn" aria-label={`Remove ${f.name}`} onClick={() => setFiles(files().filter((_, j) => j !== i()))}>✕</button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={progress() !== null}>
        <div class="row upload-progress">
          <progress class="grow" max={1} value={progress() ?? 0} aria-label="Upload progress" />
          <span class="muted">{Math.round((progress() ?? 0) * 100)}%</span>
          <button class="icon-btn" onClick={() => upload?.abort()}>Cancel</button>
        </div>
      </Show>
      <Show when={props.replyTo}>
        {(r) => (
          <div class="replying">
            Replying to <strong>&nbsp;{displayName(r().author)}</strong>
            <button class="icon-btn" aria-label="Cancel reply" onClick={props.onCancelReply}>✕</button>
          </div>
        )}
      </Show>
      <Show when={suggestions().length}>
        <ul class="list" role="listbox" aria-label="Commands" style={{ background: "var(--bg2)", "border-radius": "8px 8px 0 0" }}>
          <For each={suggestions()}>
            {(c) => (
              <li role="option">
                <button class="icon-btn grow" style={{ "text-align": "left" }} onClick={() => setText(`/${c.name} `)}>
                  <strong>/{c.name}</strong> <span class="muted">{c.description} · {appName(c.application_id)}</span>
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={cmdError() || running()}>
        <div class={cmdError() ? "field-error" : "muted"} role="alert">{cmdError() || "Waiting for the application…"}</div>
      </Show>
      <Show when={pending() && rules()?.enabled}>
        <div class="rules-gate" role="region" aria-label="Community rules">
          <strong>Before you talk here, please read and accept the rules:</strong>
          <ol><For each={rules()?.rules ?? []}>{(r) => <li>{r}</li>}</For></ol>
          <button class="btn" onClick={() => actions.acceptRules(guildId()!).catch((e) => setCmdError((e as Error).message))}>I accept the rules</button>
        </div>
      </Show>
      <Show when={canSend()} fallback={<div class="muted" style={{ padding: ".7rem" }}>{pending() ? "Accept the rules above to start talking." : timeoutEnds() ? `You are timed out until ${timeoutEnds()}.` : "You do not have permission to send messages in this channel."}</div>}>
        <div class="row composer-row">
        <Show when={canAttach()}>
          <button class="icon-btn" aria-label="Attach files" title="Attach files" onClick={() => picker.click()}>📎</button>
          <input ref={picker} type="file" multiple hidden aria-label="Files" onChange={(e) => { addFiles(e.currentTarget.files); e.currentTarget.value = ""; }} />
        </Show>
        <textarea
          ref={box}
          class="grow"
          rows={1}
          aria-label={placeholder()}
          placeholder={placeholder()}
          value={text()}
          maxLength={2000}
          onInput={(e) => {
            // Commands may have been registered since the list was fetched: refresh on entering "/".
            if (e.currentTarget.value.startsWith("/") && !text().startsWith("/")) refetchCommands();
            setText(e.currentTarget.value);
            const now = Date.now();
            if (now - lastTyping > 8000 && e.currentTarget.value) {
              lastTyping = now;
              actions.typing(props.channelId);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              send();
            } else if (e.key === "ArrowUp" && !text()) {
              e.preventDefault();
              props.onEditLast();
            } else if (e.key === "Tab" && suggestions().length) {
              e.preventDefault();
              setText(`/${suggestions()[0].name} `);
            } else if (e.key === "Escape") {
              props.onCancelReply();
            }
          }}
          onPaste={(e) => {
            if (e.clipboardData?.files.length) {
              e.preventDefault();
              addFiles(e.clipboardData.files);
            }
          }}
        />
        <button class="icon-btn" aria-label="Insert emoji" title="Emoji" onClick={() => setEmojiOpen(!emojiOpen())}>🙂</button>
        </div>
        <Show when={emojiOpen()}>
          <EmojiPicker guildId={guildId()} verb="Insert" onPick={insertEmoji} onClose={() => setEmojiOpen(false)} />
        </Show>
      </Show>
    </div>
  );
}
