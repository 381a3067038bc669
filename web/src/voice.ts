// The voice client: joins a channel over the gateway (op 4), opens the signalling socket named by
// VOICE_SERVER_UPDATE, and keeps one RTCPeerConnection to Coterie's media server. The server adds
// an m-line per remote track and renegotiates; this side offers when its own tracks change
// (camera, screen). When offers cross, the server yields (it is the polite side) and this side
// ignores the server's offer, which the server makes again after answering ours.
import { createStore, produce } from "solid-js/store";
import { setState } from "./state/store";

export interface Tile {
  user: string;
  kind: "camera" | "screen";
  stream: MediaStream;
}

export interface VoiceSettings {
  inputDevice: string;
  outputDevice: string;
  noiseSuppression: boolean;
  echoCancellation: boolean;
  autoGainControl: boolean;
  pushToTalk: boolean;
  pttKey: string;
  volumes: Record<string, number>;
}

export interface VoiceUi {
  guildId: string | null;
  channelId: string | null;
  /** "connecting" until the media path is up. */
  status: "idle" | "connecting" | "connected" | "failed";
  selfMute: boolean;
  selfDeaf: boolean;
  camera: boolean;
  screen: boolean;
  /** Push-to-talk key held. */
  talking: boolean;
  tiles: Tile[];
  focus: string | null;
  settings: VoiceSettings;
}

const SETTINGS_KEY = "coterie.voice";

function loadSettings(): VoiceSettings {
  const base: VoiceSettings = { inputDevice: "", outputDevice: "", noiseSuppression: true, echoCancellation: true, autoGainControl: true, pushToTalk: false, pttKey: "Space", volumes: {} };
  try {
    return { ...base, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? "{}") };
  } catch {
    return base;
  }
}

export const [voice, setVoice] = createStore<VoiceUi>({
  guildId: null,
  channelId: null,
  status: "idle",
  selfMute: false,
  selfDeaf: false,
  camera: false,
  screen: false,
  talking: false,
  tiles: [],
  focus: null,
  settings: loadSettings(),
});

type Send = (op: number, d: unknown) => void;

let gatewaySend: Send = () => {};
let gatewaySession: () => string | null = () => null;
let me: () => string | null = () => null;

/** Wires the voice client to the gateway connection. */
export function bindGateway(send: Send, session: () => string | null, user: () => string | null) {
  gatewaySend = send;
  gatewaySession = session;
  me = user;
}

class Connection {
  ws: WebSocket;
  pc: RTCPeerConnection;
  mic: MediaStream | null = null;
  camera: MediaStream | null = null;
  screen: MediaStream | null = null;
  /** mid → { user, kind } from the server's offers. */
  tracks = new Map<string, { user: string; kind: string }>();
  audio = new Map<string, HTMLAudioElement>();
  makingOffer = false;
  closed = false;
  heartbeat: ReturnType<typeof setInterval> | null = null;
  /** Signalling is handled one message at a time, in order (an answer must be applied before
   * the offer that follows it is looked at). */
  private queue: Promise<void> = Promise.resolve();

  constructor(endpoint: string, private guildId: string, private token: string) {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${proto}//${endpoint}`);
    this.pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    this.pc.ontrack = (ev) => this.onTrack(ev);
    this.pc.onicecandidate = (ev) => {
      if (ev.candidate?.candidate) this.signal(22, { candidate: ev.candidate.candidate });
    };
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === "failed") setVoice("status", "failed");
    };
    this.ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data as string);
      void this.serially(() => this.onSignal(f));
    };
    this.ws.onclose = () => this.onClosed();
  }

  serially(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).catch((e) => console.warn("voice signalling:", e));
    return this.queue;
  }

  signal(op: number, d: unknown) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op, d }));
  }

  async onSignal(f: { op: number; d: any }) {
    switch (f.op) {
      case 8:
        this.heartbeat = setInterval(() => this.signal(3, { t: Date.now() }), f.d.heartbeat_interval);
        this.signal(0, { server_id: this.guildId, user_id: me(), session_id: gatewaySession(), token: this.token });
        break;
      case 2:
        await this.start();
        break;
      case 20: {
        // The server's offer. If ours is in flight, ignore theirs: the server re-offers.
        if (this.makingOffer || this.pc.signalingState !== "stable") return;
        for (const t of f.d.tracks ?? []) this.tracks.set(t.mid, { user: t.user_id, kind: t.kind });
        await this.pc.setRemoteDescription({ type: "offer", sdp: f.d.sdp });
        const answer = await this.pc.createAnswer();
        await this.pc.setLocalDescription(answer);
        this.signal(21, { sdp: answer.sdp });
        this.refreshTiles();
        break;
      }
      case 21:
        if (f.d.sdp && this.pc.signalingState === "have-local-offer") await this.pc.setRemoteDescription({ type: "answer", sdp: f.d.sdp });
        break;
      case 5:
        setState("speaking", f.d.user_id, !!f.d.speaking);
        break;
      case 23:
        setVoice("status", "connected");
        break;
    }
  }

  async start() {
    const s = voice.settings;
    try {
      this.mic = await navigator.mediaDevices.getUserMedia({
        audio: { deviceId: s.inputDevice ? { exact: s.inputDevice } : undefined, noiseSuppression: s.noiseSuppression, echoCancellation: s.echoCancellation, autoGainControl: s.autoGainControl },
      });
    } catch {
      // No microphone (or refused): join to listen.
      this.mic = null;
    }
    const track = this.mic?.getAudioTracks()[0];
    if (track) {
      this.pc.addTransceiver(track, { direction: "sendrecv", streams: [this.mic!] });
    } else {
      this.pc.addTransceiver("audio", { direction: "recvonly" });
    }
    applyMicState();
    await this.offer();
  }

  /** Offers this side's tracks, labelled by mid. */
  async offer() {
    this.makingOffer = true;
    try {
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      const labels: Record<string, string> = {};
      for (const t of this.pc.getTransceivers()) {
        const tr = t.sender.track;
        if (!t.mid || !tr) continue;
        labels[t.mid] = tr === this.mic?.getAudioTracks()[0] ? "audio" : this.screen?.getTracks().includes(tr) ? (tr.kind === "audio" ? "screen_audio" : "screen") : "camera";
      }
      this.signal(20, { sdp: this.pc.localDescription!.sdp, tracks: labels });
    } finally {
      this.makingOffer = false;
    }
  }

  onTrack(ev: RTCTrackEvent) {
    const mid = ev.transceiver.mid ?? "";
    const owner = ev.streams[0]?.id ?? this.tracks.get(mid)?.user ?? "";
    if (ev.track.kind === "audio") {
      const el = new Audio();
      el.autoplay = true;
      el.srcObject = new MediaStream([ev.track]);
      el.dataset.user = owner;
      el.muted = voice.selfDeaf;
      el.volume = Math.min(1, (voice.settings.volumes[owner] ?? 100) / 100);
      const sink = voice.settings.outputDevice;
      if (sink && "setSinkId" in el) void (el as any).setSinkId(sink).catch(() => {});
      void el.play().catch(() => {});
      this.audio.set(mid, el);
    }
    ev.track.onended = () => this.refreshTiles();
    this.refreshTiles();
  }

  refreshTiles() {
    const tiles: Tile[] = [];
    for (const t of this.pc.getTransceivers()) {
      const tr = t.receiver.track;
      if (!t.mid || tr.kind !== "video" || t.currentDirection === "inactive" || t.currentDirection === "stopped") continue;
      const info = this.tracks.get(t.mid);
      if (!info) continue;
      tiles.push({ user: info.user, kind: info.kind === "screen" ? "screen" : "camera", stream: new MediaStream([tr]) });
    }
    if (this.camera) tiles.unshift({ user: me() ?? "", kind: "camera", stream: this.camera });
    if (this.screen) tiles.unshift({ user: me() ?? "", kind: "screen", stream: this.screen });
    setVoice("tiles", tiles);
  }

  async addVideo(kind: "camera" | "screen"): Promise<boolean> {
    let stream: MediaStream;
    try {
      stream = kind === "camera" ? await navigator.mediaDevices.getUserMedia({ video: true }) : await navigator.mediaDevices.getDisplayMedia({ video: true, audio: true });
    } catch {
      return false;
    }
    if (kind === "camera") this.camera = stream;
    else this.screen = stream;
    for (const t of stream.getTracks()) {
      this.pc.addTransceiver(t, { direction: "sendonly", streams: [stream] });
      t.onended = () => void this.removeVideo(kind);
    }
    await this.serially(() => this.offer());
    this.refreshTiles();
    return true;
  }

  async removeVideo(kind: "camera" | "screen") {
    const stream = kind === "camera" ? this.camera : this.screen;
    if (!stream) return;
    for (const t of this.pc.getTransceivers()) {
      if (t.sender.track && stream.getTracks().includes(t.sender.track)) {
        t.sender.track.stop();
        t.stop();
      }
    }
    if (kind === "camera") this.camera = null;
    else this.screen = null;
    setVoice(kind, false);
    sendState();
    await this.serially(() => this.offer());
    this.refreshTiles();
  }

  onClosed() {
    if (this.closed) return;
    this.close();
    // The server ended the media session (moved, kicked, left): a new VOICE_SERVER_UPDATE
    // follows a move; otherwise the voice state update clears the channel.
    setVoice("status", "connecting");
  }

  close() {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const s of [this.mic, this.camera, this.screen]) s?.getTracks().forEach((t) => t.stop());
    for (const el of this.audio.values()) el.srcObject = null;
    this.pc.close();
    if (this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
  }
}

let conn: Connection | null = null;

function sendState() {
  if (!voice.guildId) return;
  gatewaySend(4, { guild_id: voice.guildId, channel_id: voice.channelId, self_mute: voice.selfMute, self_deaf: voice.selfDeaf, self_video: voice.camera, self_stream: voice.screen });
}

/** Mic on when not muted and, with push-to-talk, while the key is held. */
function applyMicState() {
  const track = conn?.mic?.getAudioTracks()[0];
  if (track) track.enabled = !voice.selfMute && !voice.selfDeaf && (!voice.settings.pushToTalk || voice.talking);
  for (const el of conn?.audio.values() ?? []) el.muted = voice.selfDeaf;
}

export function joinVoice(guildId: string, channelId: string) {
  if (voice.guildId && voice.guildId !== guildId) leaveVoice();
  setVoice({ guildId, channelId, status: "connecting" });
  sendState();
}

export function leaveVoice() {
  const g = voice.guildId;
  conn?.close();
  conn = null;
  if (g) gatewaySend(4, { guild_id: g, channel_id: null, self_mute: false, self_deaf: false });
  setVoice({ guildId: null, channelId: null, status: "idle", camera: false, screen: false, tiles: [], focus: null });
  setState("speaking", {});
}

/** VOICE_SERVER_UPDATE: (re)connect media with the new token. */
export function onServerUpdate(d: { token: string; guild_id: string; endpoint: string | null }) {
  if (d.guild_id !== voice.guildId || !d.endpoint) return;
  conn?.close();
  setVoice({ status: "connecting", camera: false, screen: false, tiles: [] });
  conn = new Connection(d.endpoint, d.guild_id, d.token);
}

/** VOICE_STATE_UPDATE about ourselves: follow moves and disconnects made by moderators. */
export function onOwnState(d: { guild_id: string; channel_id: string | null; session_id: string }) {
  if (d.guild_id !== voice.guildId) return;
  // Left, disconnected by a moderator, or joined from another session (device): this one is out.
  if (!d.channel_id || d.session_id !== gatewaySession()) {
    conn?.close();
    conn = null;
    setVoice({ guildId: null, channelId: null, status: "idle", camera: false, screen: false, tiles: [], focus: null });
    setState("speaking", {});
  } else if (d.channel_id !== voice.channelId) {
    setVoice("channelId", d.channel_id);
  }
}

export function toggleMute() {
  setVoice("selfMute", !voice.selfMute);
  if (!voice.selfMute && voice.selfDeaf) setVoice("selfDeaf", false);
  applyMicState();
  sendState();
}

export function toggleDeafen() {
  const deaf = !voice.selfDeaf;
  setVoice({ selfDeaf: deaf, selfMute: deaf ? true : voice.selfMute });
  applyMicState();
  sendState();
}

export async function toggleVideo(kind: "camera" | "screen") {
  if (!conn) return;
  if (voice[kind]) {
    await conn.removeVideo(kind);
    return;
  }
  if (await conn.addVideo(kind)) {
    setVoice(kind, true);
    sendState();
  }
}

export function setUserVolume(user: string, percent: number) {
  setVoice("settings", "volumes", user, percent);
  saveSettings();
  for (const el of conn?.audio.values() ?? []) if (el.dataset.user === user) el.volume = Math.min(1, percent / 100);
}

export function updateSettings(patch: Partial<VoiceSettings>) {
  setVoice(produce((v) => Object.assign(v.settings, patch)));
  saveSettings();
  applyMicState();
}

function saveSettings() {
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(voice.settings));
}

// Push-to-talk: the configured key held down (not while typing in a field).
if (typeof window !== "undefined") {
  const typing = (e: KeyboardEvent) => e.target instanceof HTMLElement && (e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA" || e.target.isContentEditable);
  window.addEventListener("keydown", (e) => {
    if (voice.settings.pushToTalk && e.code === voice.settings.pttKey && !typing(e) && !voice.talking) {
      setVoice("talking", true);
      applyMicState();
    }
  });
  window.addEventListener("keyup", (e) => {
    if (e.code === voice.settings.pttKey && voice.talking) {
      setVoice("talking", false);
      applyMicState();
    }
  });
}

/** Which user each forwarded m-line carries, for tests and diagnostics. */
export function trackOwners(): Record<string, string> {
  return Object.fromEntries([...(conn?.tracks ?? new Map()).entries()].map(([mid, t]) => [mid, t.user]));
}

/** The peer connection, for tests and diagnostics (`window.coterieVoice`). */
export function peerConnection(): RTCPeerConnection | null {
  return conn?.pc ?? null;
}
