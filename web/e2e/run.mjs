// Browser end-to-end tests: Playwright (playwright-core) driving Debian's Chromium against a
// Coterie server this script starts. usage: node e2e/run.mjs path/to/coterie
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const BIN = process.argv[2];
const PORT = 18500 + Math.floor(Math.random() * 400);
const BASE = `http://127.0.0.1:${PORT}`;
const DATA = mkdtempSync(join(tmpdir(), "coterie-e2e-"));
const SHOTS = new URL("../../docs/screenshots/", import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const WAIT = 15_000;

let server;
async function startServer() {
  server = spawn(BIN, ["serve", "--listen", `127.0.0.1:${PORT}`, "--data-dir", DATA, "--rate-limits", "off", "--argon2-memory-kib", "1024", "--heartbeat-interval-ms", "5000", "--unfurl-allow", "127.0.0.2"], { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("server did not start");
}
async function stopServer() {
  if (!server) return;
  const done = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  await done;
}

const results = [];
let a;
let b;
async function step(name, fn) {
  const t = Date.now();
  try {
    await fn();
    results.push(`ok   ${name} (${Date.now() - t} ms)`);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push(`FAIL ${name}: ${e.message}`);
    await a?.screenshot({ path: join(tmpdir(), "e2e-fail-a.png") }).catch(() => {});
    await b?.screenshot({ path: join(tmpdir(), "e2e-fail-b.png") }).catch(() => {});
    console.log(`FAIL ${name}: ${e.stack}`);
    throw e;
  }
}

async function register(page, name) {
  await page.goto(`${BASE}/register`);
  await page.fill("#username", name);
  await page.fill("#password", "correct horse battery");
  await page.click("button[type=submit]");
  await page.waitForURL("**/channels/**", { timeout: WAIT });
}

async function send(page, text) {
  const box = page.locator(".composer textarea");
  await box.fill(text);
  await box.press("Enter");
}

/** A solid-colour RGB PNG, w×h. */
function png(w, h, rgb = [40, 140, 220]) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

const message = (page, text) => page.locator(".msg .body", { hasText: text }).first();

await startServer();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
const ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
a = await ctxA.newPage();
b = await ctxB.newPage();
for (const p of [a, b]) {
  p.on("dialog", (d) => (d.type() === "confirm" ? d.accept() : d.dismiss()));
  p.on("pageerror", (e) => console.log("page error:", e.message));
}
let exitCode = 0;
try {
  let invite = "";
  await step("the first account is told it administers the instance; a weak password is refused inline", async () => {
    await a.goto(`${BASE}/register`);
    await a.fill("#username", "alice");
    await a.fill("#password", "short");
    await a.click("button[type=submit]");
    await a.locator("#password-error").waitFor({ timeout: WAIT });
    await a.fill("#password", "correct horse battery");
    await a.click("button[type=submit]");
    await a.waitForURL("**/channels/@me", { timeout: WAIT });
    await a.getByText("you administer this Coterie instance").waitFor({ timeout: WAIT });
  });
  await step("a community is created and an invite made in its settings", async () => {
    await a.getByLabel("Create or join a community").click();
    await a.fill("#new-guild", "Study Group");
    await a.getByRole("button", { name: "Create", exact: true }).click();
    await a.waitForURL(/channels\/\d+\/\d+/, { timeout: WAIT });
    await a.getByLabel("Community settings").click();
    await a.getByRole("tab", { name: "Invites" }).click();
    await a.getByRole("button", { name: "Create invite" }).click();
    invite = await a.getByLabel("Invite link").inputValue();
    await a.getByLabel("Close").click();
  });
  await step("a second person registers from the invite link and joins", async () => {
    await b.goto(invite);
    await b.getByText("Study Group").waitFor({ timeout: WAIT });
    await b.getByRole("link", { name: "Create an account" }).click();
    await b.fill("#username", "bob");
    await b.fill("#password", "another good one");
    await b.click("button[type=submit]");
    await b.getByRole("button", { name: "Accept invite" }).click();
    await b.waitForURL(/channels\/\d+\/\d+/, { timeout: WAIT });
  });
  await step("messages arrive live both ways, typing shows, reactions and edits and deletes propagate", async () => {
    await send(a, "hi bob, welcome");
    await message(b, "hi bob, welcome").waitFor({ timeout: WAIT });
    await b.locator(".composer textarea").pressSequentially("hello al", { delay: 20 });
    await a.getByText("bob is typing").waitFor({ timeout: WAIT });
    await b.locator(".composer textarea").press("End");
    await b.locator(".composer textarea").type("ice");
    await b.locator(".composer textarea").press("Enter");
    await message(a, "hello alice").waitFor({ timeout: WAIT });
    const m = b.locator(".msg", { hasText: "hi bob, welcome" }).first();
    await m.hover();
    await m.getByLabel("Add reaction").click();
    await b.getByLabel("React with 👍").click();
    await a.locator(".reaction", { hasText: "👍 1" }).waitFor({ timeout: WAIT });
    await a.locator(".composer textarea").press("ArrowUp");
    const edit = a.getByLabel("Edit message");
    await edit.fill("hi bob, welcome aboard");
    await edit.press("Enter");
    await message(b, "welcome aboard").waitFor({ timeout: WAIT });
    await b.locator(".msg", { hasText: "welcome aboard" }).getByText("(edited)").waitFor({ timeout: WAIT });
    await send(a, "a message to delete");
    await message(b, "a message to delete").waitFor({ timeout: WAIT });
    const d = a.locator(".msg", { hasText: "a message to delete" }).first();
    await d.hover();
    await d.getByLabel("Delete").click();
    await message(b, "a message to delete").waitFor({ state: "detached", timeout: WAIT });
  });
  await step("hostile content is shown as text and never runs", async () => {
    await send(a, '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> [click](javascript:window.__pwned=3) <a href="javascript:alert(1)">x</a>');
    await message(b, "onerror").waitFor({ timeout: WAIT });
    await b.locator(".msg .body", { hasText: "click" }).first().click();
    const state = await b.evaluate(() => ({ pwned: window.__pwned, imgs: document.querySelectorAll(".msg img").length, jsLinks: document.querySelectorAll('a[href^="javascript"]').length }));
    if (state.pwned || state.imgs || state.jsLinks) throw new Error(`hostile content ran: ${JSON.stringify(state)}`);
  });
  await step("unread and mention badges appear on other channels and communities", async () => {
    await a.getByLabel("Channel settings").waitFor();
    const token = await a.evaluate(() => localStorage.getItem("coterie.token"));
    const me = await (await fetch(`${BASE}/api/v10/users/@me`, { headers: { Authorization: await b.evaluate(() => localStorage.getItem("coterie.token")) } })).json();
    const guildId = a.url().split("/")[4];
    const ch = await (await fetch(`${BASE}/api/v10/guilds/${guildId}/channels`, { method: "POST", headers: { Authorization: token, "Content-Type": "application/json" }, body: JSON.stringify({ name: "random" }) })).json();
    await b.getByRole("button", { name: "random" }).waitFor({ timeout: WAIT });
    await a.getByRole("button", { name: "random" }).click();
    await send(a, `psst <@${me.id}>`);
    await b.locator(".channel.unread", { hasText: "random" }).waitFor({ timeout: WAIT });
    await b.locator(".channel", { hasText: "random" }).getByLabel("1 mentions").waitFor({ timeout: WAIT });
    globalThis.randomChannel = ch.id;
  });
  await step("scrolling up loads older history in place, back to the beginning, never jumping to the newest", async () => {
    const token = await a.evaluate(() => localStorage.getItem("coterie.token"));
    for (let i = 0; i < 130; i++) {
      await fetch(`${BASE}/api/v10/channels/${globalThis.randomChannel}/messages`, { method: "POST", headers: { Authorization: token, "Content-Type": "application/json" }, body: JSON.stringify({ content: `history ${i}` }) });
    }
    await message(a, "history 129").waitFor({ timeout: WAIT });
    const seen = await a.evaluate(async () => {
      const el = document.querySelector(".messages");
      const firstShown = () => {
        const top = el.getBoundingClientRect().top;
        for (const m of el.querySelectorAll(".msg")) {
          if (m.getBoundingClientRect().bottom <= top) continue;
          const n = /history (\d+)/.exec(m.textContent ?? "");
          return n ? Number(n[1]) : -1;
        }
        return null;
      };
      const out = [];
      for (let f = 0; f < 900 && !(document.querySelector(".messages .beginning") && el.scrollTop === 0); f++) {
        el.scrollTop = Math.max(0, el.scrollTop - 150);
        await new Promise((r) => requestAnimationFrame(r));
        out.push(firstShown());
      }
      const oldest = [...el.querySelectorAll(".msg")].some((m) => /history 0(?!\d)/.test(m.textContent ?? ""));
      return { out, oldest, beginning: !!document.querySelector(".messages .beginning") };
    });
    const nums = seen.out.filter((n) => n !== null && n >= 0);
    if (!seen.beginning) throw new Error("never reached the beginning of the channel");
    if (!seen.oldest) throw new Error(`the oldest message is not shown at the top: ${nums.slice(-10)}`);
    for (let i = 1; i < nums.length; i++) if (nums[i] > nums[i - 1] + 2) throw new Error(`the view jumped from history ${nums[i - 1]} to ${nums[i]} while scrolling up`);
  });
  await step("an owner creates a role and hides a channel from @everyone; the member stops seeing it live", async () => {
    await a.getByLabel("Community settings").click();
    await a.getByRole("tab", { name: "Roles" }).click();
    await a.getByRole("button", { name: "Create role" }).click();
    await a.getByLabel("Role name").fill("Moderators");
    await a.getByLabel("Role name").press("Tab");
    await a.getByRole("button", { name: "Moderators", exact: true }).first().waitFor({ timeout: WAIT });
    await a.getByLabel("Close").click();
    await a.getByLabel("Channel settings").click();
    await a.locator("#ow-target").selectOption({ label: "@everyone" });
    await a.getByLabel("View channels for the selected role or member").selectOption("deny");
    await b.locator(".channel", { hasText: "random" }).waitFor({ state: "detached", timeout: WAIT });
    await a.getByLabel("Close").click();
  });
  await step("a bot is added on the Add-bot page and answers a slash command typed in the composer", async () => {
    const token = await a.evaluate(() => localStorage.getItem("coterie.token"));
    const h = { Authorization: token, "Content-Type": "application/json" };
    const app = await (await fetch(`${BASE}/api/v10/applications`, { method: "POST", headers: h, body: JSON.stringify({ name: "Helper" }) })).json();
    const bot = await (await fetch(`${BASE}/api/v10/applications/${app.id}/bot`, { method: "POST", headers: h, body: "{}" })).json();
    await a.goto(`${BASE}/oauth2/authorize?client_id=${app.id}&scope=bot&permissions=3072`);
    await a.locator("#bot-guild").selectOption({ label: "Study Group" });
    await a.getByRole("button", { name: "Authorize" }).click();
    await a.getByRole("button", { name: "Open the community" }).click();
    // The bot runs in its own browser page: a plain WebSocket gateway client.
    const botPage = await (await browser.newContext()).newPage();
    await botPage.goto(`${BASE}/login`);
    await botPage.evaluate(async ({ token, guild, appId }) => {
      const auth = { Authorization: `Bot ${token}`, "Content-Type": "application/json" };
      await fetch(`/api/v10/applications/${appId}/guilds/${guild}/commands`, { method: "PUT", headers: auth, body: JSON.stringify([{ name: "ping", description: "Replies with pong" }]) });
      const ws = new WebSocket(`ws://${location.host}/?v=10&encoding=json`);
      ws.onmessage = async (e) => {
        const f = JSON.parse(e.data);
        if (f.op === 10) ws.send(JSON.stringify({ op: 2, d: { token, intents: 513, properties: {} } }));
        if (f.t === "INTERACTION_CREATE") {
          await fetch(`/api/v10/interactions/${f.d.id}/${f.d.token}/callback`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ type: 4, data: { content: `pong for ${f.d.member.user.username}` } }) });
        }
      };
      await new Promise((r) => setTimeout(r, 300));
    }, { token: bot.token, guild: a.url().split("/")[4], appId: app.id });
    await a.getByRole("button", { name: "general", exact: true }).click();
    const box = a.locator(".composer textarea");
    await box.fill("/pi");
    await a.getByRole("option").first().waitFor({ timeout: WAIT });
    await box.press("Tab");
    await box.press("Enter");
    await message(b, "pong for alice").waitFor({ timeout: WAIT });
  });
  await step("events are scheduled and members mark themselves interested", async () => {
    await a.getByLabel("Events").click();
    await a.fill("#ev-name", "Study night");
    await a.fill("#ev-where", "Library");
    const fmt = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    await a.fill("#ev-start", fmt(new Date(Date.now() + 86_400_000)));
    await a.fill("#ev-end", fmt(new Date(Date.now() + 90_000_000)));
    await a.getByRole("button", { name: "Schedule" }).click();
    await a.getByText("Study night").waitFor({ timeout: WAIT });
    await a.getByLabel("Close").click();
    await b.getByLabel("Events").click();
    await b.getByRole("button", { name: "Interested" }).click();
    await b.getByText("1 interested").waitFor({ timeout: WAIT });
    await b.getByLabel("Close").click();
  });
  await step("in a forum two members post, vote and reply, and each sees the other's votes live", async () => {
    await a.getByLabel("Create channel").click();
    await a.locator("#new-channel-type").selectOption("15");
    await a.fill("#new-channel-name", "ideas");
    await a.getByRole("button", { name: "Create channel" }).last().click();
    await a.getByRole("button", { name: "New post" }).waitFor({ timeout: WAIT });
    await a.getByLabel("Channel settings").click();
    await a.fill("#ch-tags", "question, idea");
    await a.getByRole("button", { name: "Save" }).click();
    await a.getByLabel("Close").click();
    await a.locator("#tag-filter").waitFor({ timeout: WAIT });
    await b.getByRole("button", { name: "ideas" }).click({ timeout: WAIT });
    await a.getByRole("button", { name: "New post" }).click();
    await a.fill("#post-title", "Weekly study plan");
    await a.fill("#post-body", "Which **topics** first?");
    await a.getByLabel("question").check();
    await a.getByRole("button", { name: "Post", exact: true }).click();
    await a.getByRole("heading", { name: "Weekly study plan" }).waitFor({ timeout: WAIT });
    const card = b.locator("article.post-card", { hasText: "Weekly study plan" });
    await card.waitFor({ timeout: WAIT });
    await card.getByRole("button", { name: "Upvote" }).click();
    await a.locator(".post-head [data-testid=score]", { hasText: /^1$/ }).waitFor({ timeout: WAIT });
    await card.getByRole("button", { name: "Weekly study plan" }).click();
    await b.getByLabel("Add a comment").fill("Graphs, then dynamic programming.");
    await b.getByRole("button", { name: "Reply", exact: true }).first().click();
    const comment = a.locator("li.comment", { hasText: "Graphs, then dynamic programming." });
    await comment.waitFor({ timeout: WAIT });
    await comment.getByRole("button", { name: "Upvote" }).click();
    await b.locator("li.comment", { hasText: "Graphs, then dynamic" }).locator("[data-testid=score]", { hasText: /^1$/ }).waitFor({ timeout: WAIT });
    await comment.getByRole("button", { name: "Reply", exact: true }).click();
    await a.getByLabel(/^Reply to /).fill("Agreed, graphs first.");
    await a.getByLabel(/^Reply to /).press("Control+Enter");
    await b.locator("li.comment li.comment", { hasText: "Agreed, graphs first." }).waitFor({ timeout: WAIT });
    await b.getByRole("button", { name: "Collapse comment" }).first().click();
    await b.locator("li.comment li.comment", { hasText: "Agreed, graphs first." }).waitFor({ state: "detached", timeout: WAIT });
    mkdirSync(SHOTS, { recursive: true });
    await b.screenshot({ path: join(SHOTS, "forum-post-desktop.png") });
    await b.getByRole("button", { name: "Expand comment" }).first().click();
    await b.setViewportSize({ width: 360, height: 740 });
    await b.screenshot({ path: join(SHOTS, "forum-post-phone.png") });
    await b.setViewportSize({ width: 1280, height: 800 });
    await b.getByRole("button", { name: "← All posts" }).click();
    await b.getByRole("tab", { name: "top" }).click();
    await b.locator("#period").waitFor({ timeout: WAIT });
    await b.screenshot({ path: join(SHOTS, "forum-desktop.png") });
  });
  await step("screenshots of the main views (desktop and phone, dark and light)", async () => {
    mkdirSync(SHOTS, { recursive: true });
    await b.getByRole("button", { name: "general", exact: true }).click();
    await message(b, "welcome aboard").waitFor({ timeout: WAIT });
    for (const scheme of ["dark", "light"]) {
      await b.emulateMedia({ colorScheme: scheme });
      await b.setViewportSize({ width: 1280, height: 800 });
      await b.screenshot({ path: join(SHOTS, `desktop-${scheme}.png`) });
      await b.setViewportSize({ width: 360, height: 740 });
      await b.screenshot({ path: join(SHOTS, `phone-${scheme}.png`) });
    }
    await b.setViewportSize({ width: 1280, height: 800 });
    await b.emulateMedia({ colorScheme: "dark" });
  });
  await step("search with filters finds a message and shows it in context", async () => {
    await a.getByRole("button", { name: "general", exact: true }).click();
    const box = a.getByLabel("Search messages");
    await box.fill("welcome fr");
    await a.getByRole("listbox", { name: "Search suggestions" }).getByText("from:").waitFor({ timeout: WAIT });
    await box.fill("welcome from:alice in:general");
    await box.press("Enter");
    const results = a.getByRole("list", { name: "Search results" });
    await results.getByText("hi bob, welcome").waitFor({ timeout: WAIT });
    await results.getByText("hi bob, welcome").click();
    await a.getByRole("list", { name: "Messages around the result" }).waitFor({ timeout: WAIT });
    await a.getByRole("button", { name: "Go to the conversation" }).click();
    await message(a, "welcome aboard").waitFor({ timeout: WAIT });
  });
  await step("a link unfolds into a preview card for both members", async () => {
    // A page on 127.0.0.2 stands for a public site (the server is started with --unfurl-allow 127.0.0.2).
    const site = createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end('<html><head><meta property="og:title" content="Revision timetable"><meta property="og:description" content="Five weeks, one page"><meta property="og:site_name" content="Study Hub"></head></html>');
    });
    await new Promise((r) => site.listen(0, "127.0.0.2", r));
    const url = `http://127.0.0.2:${site.address().port}/timetable`;
    try {
      await send(a, `our plan: ${url}`);
      const card = b.locator(".embed", { hasText: "Revision timetable" });
      await card.waitFor({ timeout: WAIT });
      await card.getByText("Five weeks, one page").waitFor({ timeout: WAIT });
      await a.locator(".embed", { hasText: "Study Hub" }).waitFor({ timeout: WAIT });
    } finally {
      site.close();
    }
  });
  await step("an image is uploaded and the other member sees it and opens it; a custom emoji is added and used", async () => {
    await a.locator(".composer input[type=file]").setInputFiles({ name: "chart.png", mimeType: "image/png", buffer: png(900, 600) });
    await a.locator(".file-chip", { hasText: "chart.png" }).waitFor({ timeout: WAIT });
    await send(a, "our progress chart");
    const pic = b.locator(".msg", { hasText: "our progress chart" }).locator(".attachment-image img");
    await pic.waitFor({ timeout: WAIT });
    await b.waitForFunction((el) => el.complete && el.naturalWidth > 0, await pic.elementHandle(), { timeout: WAIT });
    const thumbWidth = await pic.evaluate((el) => el.naturalWidth);
    if (thumbWidth !== 512) throw new Error(`the preview should be the 512-pixel thumbnail, got ${thumbWidth}`);
    await b.locator(".msg", { hasText: "our progress chart" }).locator(".attachment-image").click();
    const full = b.locator(".lightbox img");
    await full.waitFor({ timeout: WAIT });
    await b.waitForFunction((el) => el.complete && el.naturalWidth === 900, await full.elementHandle(), { timeout: WAIT });
    await b.keyboard.press("Escape");
    await a.getByLabel("Community settings").click();
    await a.getByRole("tab", { name: "Emoji" }).click();
    await a.locator("#emoji-file").setInputFiles({ name: "party.png", mimeType: "image/png", buffer: png(64, 64, [230, 80, 160]) });
    await a.fill("#emoji-name", "party");
    await a.getByRole("button", { name: "Upload emoji" }).click();
    await a.getByRole("list", { name: "Custom emoji" }).getByText(":party:").waitFor({ timeout: WAIT });
    await a.getByLabel("Close").click();
    await send(a, "we made it :party:");
    await b.locator(".msg", { hasText: "we made it" }).locator("img.emoji[alt=':party:']").waitFor({ timeout: WAIT });
  });
  await step("an AutoMod keyword rule blocks a message with its notice; a moderator times the member out and they cannot post", async () => {
    await a.getByRole("button", { name: "general", exact: true }).click();
    await a.getByLabel("Community settings").click();
    await a.getByRole("tab", { name: "AutoMod" }).click();
    await a.fill("#am-name", "No gold sellers");
    await a.fill("#am-words", "cheap gold*");
    await a.fill("#am-notice", "Trading is not allowed here.");
    await a.getByRole("button", { name: "Create rule" }).click();
    await a.getByRole("list", { name: "AutoMod rules" }).getByText("No gold sellers").waitFor({ timeout: WAIT });
    await a.getByLabel("Close").click();
    await send(b, "cheap golden coins, dm me");
    await b.getByText("Blocked by AutoMod: Trading is not allowed here.").waitFor({ timeout: WAIT });
    await message(a, "cheap golden coins").waitFor({ state: "detached", timeout: 1000 }).catch(() => {});
    if (await message(a, "cheap golden coins").count()) throw new Error("the blocked message reached the channel");
    await a.locator(".members .member", { hasText: "bob" }).click();
    await a.getByLabel("Timeout duration").selectOption("600");
    await a.getByRole("button", { name: "Time out", exact: true }).click();
    await a.getByText("Timed out.").waitFor({ timeout: WAIT });
    await a.getByLabel("Close").click();
    await b.getByText("You are timed out until").waitFor({ timeout: WAIT });
    if (await b.locator(".composer textarea").count()) throw new Error("a timed-out member still has a composer");
    const token = await b.evaluate(() => localStorage.getItem("coterie.token"));
    const channel = b.url().split("/")[5];
    const r = await fetch(`${BASE}/api/v10/channels/${channel}/messages`, { method: "POST", headers: { Authorization: token, "Content-Type": "application/json" }, body: JSON.stringify({ content: "sneaky" }) });
    if (r.status !== 403) throw new Error(`a timed-out member posted through the API: ${r.status}`);
    await a.getByLabel("Community settings").click();
    await a.getByRole("tab", { name: "Audit log" }).click();
    await a.getByRole("list", { name: "Audit log" }).getByText("AutoMod blocked a message").first().waitFor({ timeout: WAIT });
    await a.getByRole("list", { name: "Audit log" }).getByText("updated member").first().waitFor({ timeout: WAIT });
    mkdirSync(SHOTS, { recursive: true });
    await a.screenshot({ path: join(SHOTS, "moderation-audit-log.png") });
    await a.getByLabel("Close").click();
  });
  await step("after the server restarts the app reconnects and the conversation continues", async () => {
    await stopServer();
    await b.getByText("Reconnecting").waitFor({ timeout: WAIT });
    await startServer();
    await b.getByText("Reconnecting").waitFor({ state: "detached", timeout: 30_000 });
    await a.locator(".status-bar").waitFor({ state: "detached", timeout: 30_000 });
    await message(b, "welcome aboard").waitFor({ timeout: WAIT });
    await a.getByRole("button", { name: "general", exact: true }).click();
    await send(a, "still here after the restart");
    await message(b, "still here after the restart").waitFor({ timeout: WAIT });
  });
} catch {
  exitCode = 1;
} finally {
  await browser.close();
  await stopServer();
  console.log(`\n${results.join("\n")}`);
  process.exit(exitCode);
}
