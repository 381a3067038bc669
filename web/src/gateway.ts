// The gateway client: HELLO → IDENTIFY (or RESUME), heartbeats, dispatches to a handler,
// automatic reconnect with backoff and resume, and a status the UI shows.

// Everything Discord defines that the app uses, poll votes (1 << 24, 1 << 25) and Coterie's
// VOTE_UPDATE (1 << 50).
const INTENTS = 3276799 + 2 ** 24 + 2 ** 25 + 2 ** 50;

export type GatewayStatus = "connecting" | "ready" | "reconnecting" | "closed";

interface Frame {
  op: number;
  d: any;
  s?: number | null;
  t?: string | null;
}

/** Close codes after which reconnecting cannot help. */
const FATAL = new Set([4004, 4010, 4011, 4012, 4013, 4014]);

export class Gateway {
  private ws: WebSocket | null = null;
  private seq: number | null = null;
  private sessionId: string | null = null;
  private resumeUrl: string | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private acked = true;
  private attempts = 0;
  private stopped = false;

  constructor(
    private token: string,
    private onDispatch: (t: string, d: any) => void,
    private onStatus: (s: GatewayStatus) => void,
    private baseUrl = defaultUrl(),
  ) {}

  start() {
    this.stopped = false;
    this.open(this.baseUrl);
  }

  stop() {
    this.stopped = true;
    this.clearHeartbeat();
    this.ws?.close(1000);
    this.ws = null;
    this.onStatus("closed");
  }

  /** The current session's id (voice signalling identifies with it). */
  session(): string | null {
    return this.sessionId;
  }

  /** Sends an opcode (presence updates, member requests). */
  send(op: number, d: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op, d }));
  }

  private open(url: string) {
    this.onStatus(this.sessionId ? "reconnecting" : "connecting");
    const ws = new WebSocket(`${url}/?v=10&encoding=json`);
    this.ws = ws;
    ws.onmessage = (ev) => this.frame(JSON.parse(ev.data as string) as Frame);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.clearHeartbeat();
      if (this.stopped) return;
      if (FATAL.has(ev.code)) {
        this.onStatus("closed");
        if (ev.code === 4004) window.dispatchEvent(new Event("coterie:logout"));
        return;
      }
      this.onStatus("reconnecting");
      const delay = Math.min(15000, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
      this.attempts++;
      setTimeout(() => !this.stopped && this.open(this.sessionId && this.resumeUrl ? this.resumeUrl : this.baseUrl), delay);
    };
  }

  private frame(f: Frame) {
    switch (f.op) {
      case 10: {
        this.startHeartbeat(f.d.heartbeat_interval);
        if (this.sessionId) {
          this.send(6, { token: this.token, session_id: this.sessionId, seq: this.seq });
        } else {
          this.send(2, {
            token: this.token,
            intents: INTENTS,
            properties: { os: navigator.platform || "web", browser: "Coterie", device: "Coterie" },
          });
        }
        break;
      }
      case 11:
        this.acked = true;
        break;
      case 1:
        this.send(1, this.seq);
        break;
      case 7:
        this.ws?.close(4000);
        break;
      case 9:
        // The session cannot be resumed: start over (the app reloads its state on READY).
        this.sessionId = null;
        this.seq = null;
        setTimeout(() => this.send(2, { token: this.token, intents: INTENTS, properties: { os: "web", browser: "Coterie", device: "Coterie" } }), 500 + Math.random() * 1000);
        break;
      case 0:
        if (typeof f.s === "number") this.seq = f.s;
        if (f.t === "READY") {
          this.sessionId = f.d.session_id;
          this.resumeUrl = f.d.resume_gateway_url;
          this.attempts = 0;
          this.onStatus("ready");
        } else if (f.t === "RESUMED") {
          this.attempts = 0;
          this.onStatus("ready");
        }
        if (f.t) this.onDispatch(f.t, f.d);
        break;
    }
  }

  private startHeartbeat(interval: number) {
    this.clearHeartbeat();
    this.acked = true;
    const beat = () => {
      if (!this.acked) {
        this.ws?.close(4000);
        return;
      }
      this.acked = false;
      this.send(1, this.seq);
    };
    setTimeout(beat, interval * Math.random());
    this.heartbeat = setInterval(beat, interval);
  }

  private clearHeartbeat() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

function defaultUrl() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}`;
}
