// Voice in the sidebar: who is in each voice channel (live, with mute / deafen / video / stream
// icons and a speaking ring), the connected-call panel with its controls and settings, stage
// speakers and audience, and the video grid of cameras and screen shares.
import { For, Show, createSignal, onMount } from "solid-js";
import { api } from "../api/client";
import { displayName } from "../lib/format";
import { P, channelPermissions, has } from "../lib/permissions";
import { type VoiceState, state } from "../state/store";
import * as v from "../voice";

function Icons(props: { s: VoiceState }) {
  return (
    <span class="voice-icons">
      <Show when={props.s.mute}><span title="Server muted" aria-label="server muted">🔇</span></Show>
      <Show when={!props.s.mute && props.s.self_mute}><span title="Muted" aria-label="muted">🎙̸</span></Show>
      <Show when={props.s.deaf || props.s.self_deaf}><span title="Deafened" aria-label="deafened">🎧̸</span></Show>
      <Show when={props.s.self_video}><span title="Camera on" aria-label="camera on">📹</span></Show>
      <Show when={props.s.self_stream}><span title="Sharing screen" aria-label="sharing screen">🖥</span></Show>
    </span>
  );
}

/** Participants of one voice or stage channel, under its name in the channel list. */
export function VoiceMembers(props: { guildId: string; channelId: string; stage: boolean }) {
  const g = () => state.guilds[props.guildId];
  const ch = () => state.channels[props.channelId];
  const mine = () => (g() && ch() && state.me ? channelPermissions(g()!, ch()!, state.me.id) : 0n);
  const list = () => Object.values(state.voice[props.guildId] ?? {}).filter((s) => s.channel_id === props.channelId);
  const speakers = () => list().filter((s) => !props.stage || !s.suppress);
  const audience = () => list().filter((s) => props.stage && s.suppress);
  const patchMember = (user: string, body: unknown) => api("PATCH", `/guilds/${props.guildId}/members/${user}`, body).catch(() => {});
  const patchState = (user: string, body: unknown) => api("PATCH", `/guilds/${props.guildId}/voice-states/${user === state.me?.id ? "@me" : user}`, { channel_id: props.channelId, ...(body as object) }).catch(() => {});
  const row = (s: VoiceState) => {
    const me = s.user_id === state.me?.id;
    return (
      <li class="voice-member" classList={{ speaking: !!state.speaking[s.user_id] && !s.mute && !s.self_mute }} data-user={s.user_id} aria-label={displayName(state.users[s.user_id], g())}>
        <span class="avatar-ring" aria-hidden="true">{displayName(state.users[s.user_id], g()).slice(0, 1).toUpperCase()}</span>
        <span class="name">{displayName(state.users[s.user_id], g())}</span>
        <Icons s={s} />
        <Show when={props.stage && s.suppress && s.request_to_speak_timestamp}><span title="Asked to speak" aria-label="asked to speak">✋</span></Show>
        <Show when={!me && v.voice.channelId === props.channelId}>
          <input class="volume" type="range" min="0" max="100" aria-label={`Volume of ${displayName(state.users[s.user_id], g())}`} value={v.voice.settings.volumes[s.user_id] ?? 100} onInput={(e) => v.setUserVolume(s.user_id, Number(e.currentTarget.value))} />
        </Show>
        <span class="voice-mod">
          <Show when={has(mine(), P.MUTE_MEMBERS)}>
            <button class="icon-btn" aria-label={s.mute ? "Server unmute" : "Server mute"} onClick={() => patchMember(s.user_id, { mute: !s.mute })}>{s.mute ? "🔈" : "🔇"}</button>
            <Show when={props.stage}>
              <button class="icon-btn" aria-label={s.suppress ? "Invite to speak" : "Move to audience"} onClick={() => patchState(s.user_id, { suppress: !s.suppress })}>{s.suppress ? "⬆" : "⬇"}</button>
            </Show>
          </Show>
          <Show when={has(mine(), P.DEAFEN_MEMBERS)}>
            <button class="icon-btn" aria-label={s.deaf ? "Server undeafen" : "Server deafen"} onClick={() => patchMember(s.user_id, { deaf: !s.deaf })}>🎧</button>
          </Show>
          <Show when={has(mine(), P.MOVE_MEMBERS)}>
            <button class="icon-btn" aria-label="Disconnect from voice" onClick={() => patchMember(s.user_id, { channel_id: null })}>⏏</button>
          </Show>
        </span>
      </li>
    );
  };
  return (
    <Show when={list().length > 0}>
      <ul class="voice-members" aria-label={`In ${ch()?.name ?? "voice"}`}>
        <Show when={props.stage && speakers().length}><li class="voice-group">Speakers</li></Show>
        <For each={speakers()}>{row}</For>
        <Show when={audience().length}><li class="voice-group">Audience</li></Show>
        <For each={audience()}>{row}</For>
      </ul>
    </Show>
  );
}

function VoiceSettingsPanel() {
  const [inputs, setInputs] = createSignal<MediaDeviceInfo[]>([]);
  const [outputs, setOutputs] = createSignal<MediaDeviceInfo[]>([]);
  onMount(async () => {
    const all = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []) ?? [];
    setInputs(all.filter((d) => d.kind === "audioinput"));
    setOutputs(all.filter((d) => d.kind === "audiooutput"));
  });
  const s = () => v.voice.settings;
  return (
    <div class="voice-settings" role="group" aria-label="Voice settings">
      <label>Input device
        <select value={s().inputDevice} onChange={(e) => v.updateSettings({ inputDevice: e.currentTarget.value })}>
          <option value="">Default</option>
          <For each={inputs()}>{(d) => <option value={d.deviceId}>{d.label || "Microphone"}</option>}</For>
        </select>
      </label>
      <label>Output device
        <select value={s().outputDevice} onChange={(e) => v.updateSettings({ outputDevice: e.currentTarget.value })}>
          <option value="">Default</option>
          <For each={outputs()}>{(d) => <option value={d.deviceId}>{d.label || "Speaker"}</option>}</For>
        </select>
      </label>
      <label><input type="checkbox" checked={s().noiseSuppression} onChange={(e) => v.updateSettings({ noiseSuppression: e.currentTarget.checked })} /> Noise suppression</label>
      <label><input type="checkbox" checked={s().echoCancellation} onChange={(e) => v.updateSettings({ echoCancellation: e.currentTarget.checked })} /> Echo cancellation</label>
      <label><input type="checkbox" checked={s().pushToTalk} onChange={(e) => v.updateSettings({ pushToTalk: e.currentTarget.checked })} /> Push to talk (hold Space); otherwise voice activity</label>
      <p class="muted">Device and processing changes apply the next time you join.</p>
    </div>
  );
}

/** The call panel above the user bar while connected to voice. */
export function VoicePanel() {
  const [open, setOpen] = createSignal(false);
  const ch = () => (v.voice.channelId ? state.channels[v.voice.channelId] : undefined);
  const me = () => (v.voice.guildId && state.me ? state.voice[v.voice.guildId]?.[state.me.id] : undefined);
  return (
    <Show when={v.voice.channelId}>
      <div class="voice-panel" role="region" aria-label="Voice connection">
        <div class="voice-status">
          <span classList={{ ok: v.voice.status === "connected", bad: v.voice.status === "failed" }}>
            {v.voice.status === "connected" ? "Voice connected" : v.voice.status === "failed" ? "Voice failed" : "Connecting…"}
          </span>
          <span class="muted">🔊 {ch()?.name}</span>
        </div>
        <Show when={ch()?.type === 13 && me()?.suppress}>
          <button onClick={() => api("PATCH", `/guilds/${v.voice.guildId}/voice-states/@me`, { channel_id: v.voice.channelId, request_to_speak_timestamp: new Date().toISOString() }).catch(() => {})}>✋ Request to speak</button>
        </Show>
        <div class="voice-controls">
          <button class="icon-btn" aria-pressed={v.voice.selfMute} aria-label={v.voice.selfMute ? "Unmute" : "Mute"} onClick={v.toggleMute}>{v.voice.selfMute ? "🎙̸" : "🎙"}</button>
          <button class="icon-btn" aria-pressed={v.voice.selfDeaf} aria-label={v.voice.selfDeaf ? "Undeafen" : "Deafen"} onClick={v.toggleDeafen}>{v.voice.selfDeaf ? "🎧̸" : "🎧"}</button>
          <button class="icon-btn" aria-pressed={v.voice.camera} aria-label={v.voice.camera ? "Turn camera off" : "Turn camera on"} onClick={() => void v.toggleVideo("camera")}>📹</button>
          <button class="icon-btn" aria-pressed={v.voice.screen} aria-label={v.voice.screen ? "Stop sharing" : "Share screen"} onClick={() => void v.toggleVideo("screen")}>🖥</button>
          <button class="icon-btn" aria-expanded={open()} aria-label="Voice settings" onClick={() => setOpen(!open())}>⚙</button>
          <button class="icon-btn danger" aria-label="Disconnect" onClick={v.leaveVoice}>✆</button>
        </div>
        <Show when={open()}><VoiceSettingsPanel /></Show>
      </div>
    </Show>
  );
}

function Video(props: { stream: MediaStream; muted: boolean }) {
  let el!: HTMLVideoElement;
  onMount(() => {
    el.srcObject = props.stream;
    void el.play().catch(() => {});
  });
  return <video ref={el} autoplay playsinline muted={props.muted} />;
}

/** Cameras and screen shares of the call, as a grid or one focused tile. */
export function VideoGrid() {
  const shown = () => (v.voice.focus ? v.voice.tiles.filter((t) => `${t.user}:${t.kind}` === v.voice.focus) : v.voice.tiles);
  return (
    <Show when={v.voice.tiles.length > 0}>
      <section class="video-grid" classList={{ focused: !!v.voice.focus }} aria-label="Video">
        <For each={shown()}>
          {(t) => (
            <figure class="tile" data-user={t.user} data-kind={t.kind} onClick={() => v.setVoice("focus", v.voice.focus ? null : `${t.user}:${t.kind}`)}>
              <Video stream={t.stream} muted />
              <figcaption>{displayName(state.users[t.user])}{t.kind === "screen" ? " — screen" : ""}</figcaption>
            </figure>
          )}
        </For>
      </section>
    </Show>
  );
}
