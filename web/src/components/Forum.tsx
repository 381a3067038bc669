// A forum channel: post cards with votes, sorts, period and tag filters, a new-post composer,
// and a post page with its comment tree (collapse, replies inline, "load more", votes).
import { useNavigate } from "@solidjs/router";
import { For, Show, createEffect, createSignal, on, onCleanup } from "solid-js";
import { ApiError, api } from "../api/client";
import { displayName } from "../lib/format";
import { type Channel, type Message, setState, state, voteKey } from "../state/store";
import Markdown from "./Markdown";

type Post = Channel & { message?: Message | null };
type More = { count: number; parent_id: string; after: string | null };
export type Comment = Message & { replies: Comment[]; more?: More; deleted?: boolean; reply_count?: number; depth?: number };

const SORTS = ["hot", "new", "top", "controversial", "active"] as const;
const PERIODS = ["hour", "day", "week", "month", "year", "all"] as const;
const COMMENT_SORTS = ["best", "top", "new", "controversial"] as const;

/** "5m", "3h", "2d" since a snowflake's or timestamp's time. */
export function ago(ts: string | undefined | null): string {
  if (!ts) return "";
  const s = Math.max(0, (Date.now() - new Date(ts).getTime()) / 1000);
  if (s < 60) return "now";
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  if (s < 86400 * 365) return `${Math.floor(s / 86400)}d`;
  return `${Math.floor(s / (86400 * 365))}y`;
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) return Object.values(e.fields())[0] ?? e.message;
  return "Something went wrong.";
}

/** Calls `f` at most once per `ms` after the last call. */
function debounced(f: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(t));
  return () => {
    clearTimeout(t);
    t = setTimeout(f, ms);
  };
}

export function Votes(props: { post: string; message?: string; score: number; me: number; disabled?: boolean; label: string }) {
  const key = () => voteKey(props.post, props.message);
  const [me, setMe] = createSignal(props.me);
  const [err, setErr] = createSignal("");
  createEffect(on(() => props.me, (m) => setMe(m), { defer: true }));
  const score = () => state.votes[key()]?.score ?? props.score;
  const vote = async (v: 1 | -1) => {
    const old = me();
    const next = old === v ? 0 : v;
    const path = props.message && props.message !== props.post
      ? `/channels/${props.post}/messages/${props.message}/votes/@me`
      : `/channels/${props.post}/votes/@me`;
    const before = state.votes[key()];
    const cur = score();
    setMe(next);
    setState("votes", key(), { score: cur + next - old, upvotes: 0, downvotes: 0 });
    try {
      if (next === 0) await api("DELETE", path);
      else await api("PUT", path, { value: next });
      setErr("");
    } catch (e) {
      setMe(old);
      setState("votes", key(), before ?? { score: cur, upvotes: 0, downvotes: 0 });
      setErr(errorText(e));
    }
  };
  return (
    <div class="votes" role="group" aria-label={`Votes on ${props.label}`}>
      <button class="vote up" aria-label="Upvote" aria-pressed={me() === 1} disabled={props.disabled} onClick={() => vote(1)}>▲</button>
      <span class="score" data-testid="score">{score()}</span>
      <button class="vote down" aria-label="Downvote" aria-pressed={me() === -1} disabled={props.disabled} onClick={() => vote(-1)}>▼</button>
      <Show when={err()}><span class="field-error" role="alert">{err()}</span></Show>
    </div>
  );
}

function NewPost(props: { forum: Channel; onDone: (id: string) => void; onCancel: () => void }) {
  const [name, setName] = createSignal("");
  const [body, setBody] = createSignal("");
  const [tags, setTags] = createSignal<string[]>([]);
  const [err, setErr] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const p = await api<Post>("POST", `/channels/${props.forum.id}/threads`, { name: name(), message: { content: body() }, applied_tags: tags() });
      props.onDone(p.id);
    } catch (x) {
      setErr(errorText(x));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="new-post" onSubmit={submit} aria-label="New post">
      <label for="post-title">Title</label>
      <input id="post-title" maxLength={100} value={name()} onInput={(e) => setName(e.currentTarget.value)} required />
      <label for="post-body">Text</label>
      <textarea id="post-body" rows={5} maxLength={2000} value={body()} onInput={(e) => setBody(e.currentTarget.value)} />
      <Show when={(props.forum.available_tags ?? []).length > 0}>
        <fieldset class="tags-pick">
          <legend>Tags</legend>
          <For each={props.forum.available_tags ?? []}>
            {(t) => (
              <label class="tag-check">
                <input type="checkbox" checked={tags().includes(t.id ?? "")}
                  onChange={(e) => setTags(e.currentTarget.checked ? [...tags(), t.id ?? ""] : tags().filter((x) => x !== t.id))} />
                {t.emoji_name ?? ""} {t.name}
              </label>
            )}
          </For>
        </fieldset>
      </Show>
      <div class="field-error" role="alert">{err()}</div>
      <div class="row">
        <button class="btn" type="submit" disabled={busy()}>Post</button>
        <button class="btn secondary" type="button" onClick={props.onCancel}>Cancel</button>
      </div>
    </form>
  );
}

function TagChips(props: { forum: Channel; ids: string[] | null | undefined }) {
  const tags = () => (props.forum.available_tags ?? []).filter((t) => (props.ids ?? []).includes(t.id ?? ""));
  return <For each={tags()}>{(t) => <span class="tag">{t.emoji_name ?? ""} {t.name}</span>}</For>;
}

function PostCard(props: { post: Post; forum: Channel; onOpen: () => void }) {
  const p = () => props.post;
  return (
    <article class="post-card" aria-label={p().name ?? "Post"}>
      <Votes post={p().id} score={p().score ?? 0} me={p().me_vote ?? 0} label={p().name ?? "post"} disabled={!!p().thread_metadata?.locked || !!p().thread_metadata?.archived} />
      <div class="post-main">
        <button class="post-title" onClick={props.onOpen}>
          <Show when={(p().flags & 2) !== 0}><span aria-label="Pinned">📌 </span></Show>
          {p().name}
        </button>
        <div class="post-meta">
          <TagChips forum={props.forum} ids={p().applied_tags} />
          <span>{displayName(p().message?.author ?? undefined)}</span>
          <span>· {ago(p().thread_metadata?.create_timestamp)}</span>
          <span>· {p().message_count ?? 0} comments</span>
          <Show when={p().thread_metadata?.locked}><span>· 🔒 locked</span></Show>
        </div>
      </div>
    </article>
  );
}

function ReplyBox(props: { post: string; parent?: string; onDone: () => void; label: string }) {
  const [text, setText] = createSignal("");
  const [err, setErr] = createSignal("");
  const send = async (e: Event) => {
    e.preventDefault();
    if (!text().trim()) return;
    try {
      const body: Record<string, unknown> = { content: text() };
      if (props.parent) body.message_reference = { message_id: props.parent };
      await api("POST", `/channels/${props.post}/messages`, body);
      setText("");
      props.onDone();
    } catch (x) {
      setErr(errorText(x));
    }
  };
  return (
    <form class="reply-box" onSubmit={send}>
      <textarea aria-label={props.label} placeholder={props.label} rows={2} maxLength={2000} value={text()} onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(e); }} />
      <div class="row">
        <button class="btn" type="submit">Reply</button>
        <span class="field-error" role="alert">{err()}</span>
      </div>
    </form>
  );
}

function CommentNode(props: { c: Comment; post: string; guildId: string; sort: string; closed: boolean; refresh: () => void }) {
  const [collapsed, setCollapsed] = createSignal(false);
  const [replying, setReplying] = createSignal(false);
  const [extra, setExtra] = createSignal<Comment[]>([]);
  const [more, setMore] = createSignal<More | undefined>(props.c.more);
  const loadMore = async () => {
    const m = more();
    if (!m) return;
    const q = new URLSearchParams({ sort: props.sort, parent: props.c.id, limit: "50" });
    if (m.after) q.set("after", m.after);
    const r = await api<{ comments: Comment[]; next: string | null }>("GET", `/channels/${props.post}/comments?${q}`);
    setExtra([...extra(), ...r.comments]);
    const left = m.count - r.comments.length;
    setMore(r.next && left > 0 ? { count: left, parent_id: props.c.id, after: r.next } : undefined);
  };
  return (
    <li class="comment" data-depth={props.c.depth}>
      <div class="comment-head">
        <button class="icon-btn collapse" aria-expanded={!collapsed()} aria-label={collapsed() ? "Expand comment" : "Collapse comment"} onClick={() => setCollapsed(!collapsed())}>
          {collapsed() ? "[+]" : "[–]"}
        </button>
        <strong>{props.c.deleted ? "[deleted]" : displayName(props.c.author)}</strong>
        <span class="muted">{ago(props.c.timestamp)}</span>
        <Show when={collapsed()}><span class="muted">({(props.c.reply_count ?? 0) + 1} hidden)</span></Show>
      </div>
      <Show when={!collapsed()}>
        <div class="comment-body">
          <Show when={!props.c.deleted} fallback={<p class="muted">[deleted]</p>}>
            <Markdown text={props.c.content} guildId={props.guildId} />
          </Show>
          <div class="comment-actions">
            <Show when={!props.c.deleted}>
              <Votes post={props.post} message={props.c.id} score={props.c.score ?? 0} me={props.c.me_vote ?? 0} label="comment" disabled={props.closed} />
            </Show>
            <Show when={!props.closed}>
              <button class="link-btn" onClick={() => setReplying(!replying())}>Reply</button>
            </Show>
          </div>
          <Show when={replying()}>
            <ReplyBox post={props.post} parent={props.c.id} label={`Reply to ${displayName(props.c.author)}`} onDone={() => { setReplying(false); props.refresh(); }} />
          </Show>
          <Show when={props.c.replies.length + extra().length > 0}>
            <ul class="comments">
              <For each={[...props.c.replies, ...extra()]}>
                {(r) => <CommentNode c={r} post={props.post} guildId={props.guildId} sort={props.sort} closed={props.closed} refresh={props.refresh} />}
              </For>
            </ul>
          </Show>
          <Show when={more()}>
            <button class="link-btn more" onClick={loadMore}>
              {props.c.replies.length + extra().length === 0 ? `Continue this thread (${more()!.count})` : `Load ${more()!.count} more ${more()!.count === 1 ? "reply" : "replies"}`}
            </button>
          </Show>
        </div>
      </Show>
    </li>
  );
}

function PostPage(props: { postId: string; forum: Channel; guildId: string; onBack: () => void }) {
  const [post, setPost] = createSignal<Post | null>(null);
  const [opener, setOpener] = createSignal<Message | null>(null);
  const [comments, setComments] = createSignal<Comment[]>([]);
  const [next, setNext] = createSignal<string | null>(null);
  const [sort, setSort] = createSignal<string>("best");
  const [err, setErr] = createSignal("");
  const loadPost = async () => {
    try {
      setPost(await api<Post>("GET", `/channels/${props.postId}`));
      setOpener(await api<Message>("GET", `/channels/${props.postId}/messages/${props.postId}`).catch(() => null));
    } catch (e) {
      setErr(errorText(e));
    }
  };
  const loadComments = async (more = false) => {
    const q = new URLSearchParams({ sort: sort(), limit: "50" });
    if (more && next()) q.set("after", next()!);
    const r = await api<{ comments: Comment[]; next: string | null }>("GET", `/channels/${props.postId}/comments?${q}`);
    setComments(more ? [...comments(), ...r.comments] : r.comments);
    setNext(r.next);
  };
  createEffect(on(() => props.postId, () => { loadPost(); loadComments(); }));
  createEffect(on(sort, () => loadComments(), { defer: true }));
  const refresh = debounced(() => { loadComments(); loadPost(); }, 300);
  createEffect(on(() => state.bumps[props.postId], refresh, { defer: true }));
  const closed = () => !!post()?.thread_metadata?.locked || !!post()?.thread_metadata?.archived;
  return (
    <section class="post-page" aria-label={post()?.name ?? "Post"}>
      <button class="link-btn" onClick={props.onBack}>← All posts</button>
      <Show when={err()}><p class="field-error" role="alert">{err()}</p></Show>
      <Show when={post()}>
        {(p) => (
          <header class="post-head">
            <Votes post={p().id} score={p().score ?? 0} me={p().me_vote ?? 0} label={p().name ?? "post"} disabled={closed()} />
            <div>
              <h2>{p().name}</h2>
              <div class="post-meta">
                <TagChips forum={props.forum} ids={p().applied_tags} />
                <span>{displayName(opener()?.author)}</span>
                <span>· {ago(p().thread_metadata?.create_timestamp)}</span>
                <Show when={p().thread_metadata?.locked}><span>· 🔒 locked</span></Show>
                <Show when={p().thread_metadata?.archived}><span>· archived</span></Show>
              </div>
            </div>
          </header>
        )}
      </Show>
      <Show when={opener()}>{(m) => <div class="post-body"><Markdown text={m().content} guildId={props.guildId} /></div>}</Show>
      <Show when={post() && !closed()}>
        <ReplyBox post={props.postId} label="Add a comment" onDone={refresh} />
      </Show>
      <div class="row">
        <label for="comment-sort">Sort comments</label>
        <select id="comment-sort" value={sort()} onChange={(e) => setSort(e.currentTarget.value)}>
          <For each={COMMENT_SORTS}>{(s) => <option value={s}>{s}</option>}</For>
        </select>
      </div>
      <ul class="comments root" aria-label="Comments">
        <For each={comments()} fallback={<li class="muted">No comments yet.</li>}>
          {(c) => <CommentNode c={c} post={props.postId} guildId={props.guildId} sort={sort()} closed={closed()} refresh={refresh} />}
        </For>
      </ul>
      <Show when={next()}><button class="btn secondary" onClick={() => loadComments(true)}>More comments</button></Show>
    </section>
  );
}

export default function Forum(props: { guildId: string; forum: Channel; postId?: string }) {
  const nav = useNavigate();
  const [sort, setSort] = createSignal<string>("hot");
  const [period, setPeriod] = createSignal<string>("all");
  const [tag, setTag] = createSignal("");
  const [posts, setPosts] = createSignal<Post[]>([]);
  const [next, setNext] = createSignal<string | null>(null);
  const [composing, setComposing] = createSignal(false);
  const [err, setErr] = createSignal("");
  const load = async (more = false) => {
    const q = new URLSearchParams({ sort: sort(), limit: "25" });
    if (sort() === "top" || sort() === "controversial") q.set("t", period());
    if (tag()) q.set("tag", tag());
    if (more && next()) q.set("after", next()!);
    try {
      const r = await api<{ posts: Post[]; next: string | null }>("GET", `/channels/${props.forum.id}/posts?${q}`);
      const have = new Set(more ? posts().map((p) => p.id) : []);
      setPosts(more ? [...posts(), ...r.posts.filter((p) => !have.has(p.id))] : r.posts);
      setNext(r.next);
      setErr("");
    } catch (e) {
      setErr(errorText(e));
    }
  };
  createEffect(on([sort, period, tag, () => props.forum.id], () => load()));
  const refresh = debounced(() => load(), 500);
  createEffect(on(() => state.bumps[props.forum.id], refresh, { defer: true }));
  const open = (id: string) => nav(`/channels/${props.guildId}/${props.forum.id}/${id}`);
  return (
    <div class="forum">
      <Show when={props.postId} keyed fallback={
        <>
          <div class="forum-bar">
            <div role="tablist" aria-label="Sort posts" class="tabs">
              <For each={SORTS}>
                {(s) => <button role="tab" aria-selected={sort() === s} classList={{ active: sort() === s }} onClick={() => setSort(s)}>{s}</button>}
              </For>
            </div>
            <Show when={sort() === "top" || sort() === "controversial"}>
              <label class="inline" for="period">Period</label>
              <select id="period" value={period()} onChange={(e) => setPeriod(e.currentTarget.value)}>
                <For each={PERIODS}>{(p) => <option value={p}>{p}</option>}</For>
              </select>
            </Show>
            <Show when={(props.forum.available_tags ?? []).length > 0}>
              <label class="inline" for="tag-filter">Tag</label>
              <select id="tag-filter" value={tag()} onChange={(e) => setTag(e.currentTarget.value)}>
                <option value="">All tags</option>
                <For each={props.forum.available_tags ?? []}>{(t) => <option value={t.id ?? ""}>{t.name}</option>}</For>
              </select>
            </Show>
            <button class="btn" onClick={() => setComposing(!composing())}>New post</button>
          </div>
          <Show when={composing()}>
            <NewPost forum={props.forum} onCancel={() => setComposing(false)} onDone={(id) => { setComposing(false); open(id); }} />
          </Show>
          <Show when={err()}><p class="field-error" role="alert">{err()}</p></Show>
          <div class="posts" aria-label="Posts">
            <For each={posts()} fallback={<p class="muted center-text">No posts yet. Start one!</p>}>
              {(p) => <PostCard post={p} forum={props.forum} onOpen={() => open(p.id)} />}
            </For>
          </div>
          <Show when={next()}><button class="btn secondary" onClick={() => load(true)}>More posts</button></Show>
        </>
      }>
        {(id) => <PostPage postId={id} forum={props.forum} guildId={props.guildId} onBack={() => nav(`/channels/${props.guildId}/${props.forum.id}`)} />}
      </Show>
    </div>
  );
}
