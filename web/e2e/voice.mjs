// Browser voice test: three members in one voice channel in headless Chromium with a fake
// microphone playing a steady tone. Asserts inbound audio (bytes and energy) from the others,
// speaking rings, a server mute silencing one member for the rest, and a screen share arriving as
// video. usage: node e2e/voice.mjs path/to/coterie
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BIN = process.argv[2];
const PORT = 18900 + Math.floor(Math.random() * 400);
const BASE = `http://127.0.0.1:${PORT}`;
const DATA = mkdtempSync(join(tmpdir(), "coterie-voice-e2e-"));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const WAIT = 20_000;

/** 30 s of a 440 Hz sine, 48 kHz mono 16-bit. */
function toneWav(path) {
  const rate = 48000;
  const n = rate * 30;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write("RIFF", 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write("WAVEfmt ", 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12000), 44 + i * 2);
  writeFileSync(path, buf);
}

const server = spawn(BIN, ["serve", "--listen", `127.0.0.1:${PORT}`, "--data-dir", DATA, "--rate-limits", "off", "--argon2-memory-kib", "1024", "--unfurl", "off", "--voice-udp", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "inherit"] });
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${BASE}/healthz`)).ok) break;
  } catch {}
  if (i > 200) throw new Error("server did not start");
  await new Promise((r) => setTimeout(r, 50));
}

async function call(method, path, token, body) {
  const r = await fetch(`${BASE}/api/v10${path}`, { method, headers: { ...(token ? { Authorization: token } : {}), "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const register = (name) => call("POST", "/auth/register", null, { username: name, password: "correct horse battery" });

const wav = join(DATA, "tone.wav");
toneWav(wav);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${wav}`,
    "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"],
});
const results = [];
let exitCode = 0;
const pages = [];
async function step(name, fn) {
  try {
    await fn();
    results.push(`ok   ${name}`);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push(`FAIL ${name}: ${e.message}`);
    console.log(`FAIL ${name}: ${e.stack}`);
    for (const [i, p] of pages.entries()) await p.screenshot({ path: join(tmpdir(), `voice-fail-${i}.png`) }).catch(() => {});
    throw e;
  }
}

/** Inbound audio per sending user: { user: { bytes, energy, packets } }. */
const inbound = (page) =>
  page.evaluate(async () => {
    const pc = window.coterieVoice?.();
    const owners = window.coterieVoiceTracks?.() ?? {};
    if (!pc) return {};
    const out = {};
    for (const t of pc.getTransceivers()) {
      if (!t.mid || !owners[t.mid] || t.receiver.track.kind !== "audio") continue;
      const stats = await pc.getStats(t.receiver.track);
      for (const s of stats.values()) {
        if (s.type === "inbound-rtp") out[owners[t.mid]] = { bytes: s.bytesReceived ?? 0, energy: s.totalAudioEnergy ?? 0, packets: s.packetsReceived ?? 0 };
      }
    }
    return out;
  });

async function until(what, fn, every = 200) {
  const end = Date.now() + WAIT;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

try {
  const ann = await register("ann");
  const bob = await register("bob");
  const cat = await register("cat");
  const guild = await call("POST", "/guilds", ann.token, { name: "Voice Club" });
  const lounge = await call("POST", `/guilds/${guild.id}/channels`, ann.token, { name: "Lounge", type: 2 });
  const invite = await call("POST", `/channels/${guild.system_channel_id}/invites`, ann.token, { unique: true });
  for (const u of [bob, cat]) await call("POST", `/invites/${invite.code}`, u.token, {});
  const users = [ann, bob, cat];
  let joinToAudio = 0;

  await step("three members join a voice channel and connect media", async () => {
    for (const u of users) {
      const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 }, permissions: ["microphone", "camera"] });
      const page = await ctx.newPage();
      page.on("pageerror", (e) => console.log("page error:", e.message));
      // Headless Chromium has no screen picker: the "screen" is a canvas animation.
      await page.addInitScript(() => {
        navigator.mediaDevices.getDisplayMedia = async () => {
          const c = document.createElement("canvas");
          c.width = 320;
          c.height = 180;
          const g = c.getContext("2d");
          let f = 0;
          setInterval(() => { g.fillStyle = `hsl(${(f += 7) % 360} 70% 50%)`; g.fillRect(0, 0, 320, 180); }, 33);
          return c.captureStream(30);
        };
      });
      await page.goto(`${BASE}/login`);
      await page.evaluate((t) => localStorage.setItem("coterie.token", t), u.token);
      await page.goto(`${BASE}/channels/${guild.id}/${guild.system_channel_id}`);
      await page.getByRole("button", { name: "Lounge" }).waitFor({ timeout: WAIT });
      const t0 = Date.now();
      await page.getByRole("button", { name: "Lounge" }).click();
      pages.push(page);
      if (pages.length === users.length) {
        // The last to join: from the click to the first audio bytes from the others.
        await until("first audio", async () => Object.values(await inbound(page)).some((s) => s.bytes > 0), 10);
        joinToAudio = Date.now() - t0;
      }
    }
    for (const p of pages) await p.getByText("Voice connected").waitFor({ timeout: WAIT });
    results.push(`     join to first audio (click to first inbound bytes, loopback): ${joinToAudio} ms`);
  });

  await step("each member receives the others' audio, with bytes and energy rising", async () => {
    for (const [i, p] of pages.entries()) {
      const others = users.filter((_, j) => j !== i).map((u) => u.user_id);
      const first = await until("inbound audio from both others", async () => {
        const s = await inbound(p);
        return others.every((o) => s[o]?.bytes > 0) && s;
      });
      await until("bytes and energy rising", async () => {
        const s = await inbound(p);
        return others.every((o) => s[o].bytes > first[o].bytes + 2000 && s[o].energy > first[o].energy);
      });
    }
  });

  await step("speaking rings light for the members playing a tone", async () => {
    for (const u of [bob, cat]) await pages[0].locator(`.voice-member.speaking[data-user="${u.user_id}"]`).waitFor({ timeout: WAIT });
  });

  await step("a server mute stops that member's audio for everyone else", async () => {
    const row = pages[0].locator(`.voice-member[data-user="${bob.user_id}"]`);
    await row.hover();
    await row.getByRole("button", { name: "Server mute" }).click();
    await pages[2].locator(`.voice-member[data-user="${bob.user_id}"] [aria-label="server muted"]`).waitFor({ timeout: WAIT });
    await new Promise((r) => setTimeout(r, 500));
    const before = await inbound(pages[2]);
    await new Promise((r) => setTimeout(r, 1500));
    const after = await inbound(pages[2]);
    if (after[bob.user_id].packets - before[bob.user_id].packets > 5) throw new Error(`muted member still heard: ${JSON.stringify([before, after])}`);
    if (!(after[ann.user_id].packets > before[ann.user_id].packets + 20)) throw new Error("others stopped too");
    await pages[0].locator(`.voice-member.speaking[data-user="${bob.user_id}"]`).waitFor({ state: "detached", timeout: WAIT });
  });

  await step("a screen share reaches the others as a video track", async () => {
    await pages[1].getByRole("button", { name: "Share screen" }).click();
    for (const p of [pages[0], pages[2]]) {
      await p.locator(`.video-grid .tile[data-kind="screen"][data-user="${bob.user_id}"]`).waitFor({ timeout: WAIT });
      await until("frames decoded", () =>
        p.evaluate(async () => {
          const stats = await window.coterieVoice().getStats();
          return [...stats.values()].some((s) => s.type === "inbound-rtp" && s.kind === "video" && (s.framesDecoded ?? 0) > 10);
        }),
      );
    }
  });
} catch {
  exitCode = 1;
} finally {
  await browser.close();
  server.kill("SIGTERM");
  console.log(`\n${results.join("\n")}`);
  process.exit(exitCode);
}
