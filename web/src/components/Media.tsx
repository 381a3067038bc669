// Images from the server's /cdn: avatars, community icons, custom emoji, and the files on a
// message (image previews that open in a lightbox, cards for other files).
import { For, Show, createSignal } from "solid-js";
import type { Attachment, User } from "../api/types";
import { initial } from "../lib/format";
import { formatSize } from "../lib/upload";
import Modal from "./Modal";

/** A server URL as a same-origin path (the app is served by the same server). */
export function local(url: string): string {
  try {
    const u = new URL(url, location.origin);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

export function emojiUrl(id: string, animated = false): string {
  return `/cdn/emojis/${id}.${animated ? "gif" : "png"}`;
}

export function CustomEmoji(props: { id: string; name: string; animated?: boolean; big?: boolean }) {
  return <img class="emoji" classList={{ big: props.big }} src={emojiUrl(props.id, props.animated)} alt={`:${props.name}:`} title={`:${props.name}:`} loading="lazy" />;
}

/** A user's picture, or their initial on a coloured disc. */
export function Avatar(props: { user: User | undefined; name: string; size?: number }) {
  const size = () => props.size ?? 40;
  return (
    <Show
      when={props.user?.avatar}
      fallback={<span class="avatar" aria-hidden="true" style={{ width: `${size()}px`, height: `${size()}px`, "font-size": `${size() / 2.5}px` }}>{initial(props.name)}</span>}
    >
      {(hash) => <img class="avatar" alt="" aria-hidden="true" width={size()} height={size()} src={`/cdn/avatars/${props.user!.id}/${hash()}.png?size=${size() * 2}`} />}
    </Show>
  );
}

const isImage = (a: Attachment) => /^image\/(png|jpeg|gif|webp)$/.test(a.content_type ?? "") && a.width != null;
const SPOILER = 1 << 3;

/** Largest box a preview fills in the message list. */
const BOX = { w: 400, h: 300 };

function fit(a: Attachment): { w: number; h: number } {
  const w = a.width ?? BOX.w;
  const h = a.height ?? BOX.h;
  const k = Math.min(1, BOX.w / w, BOX.h / h);
  return { w: Math.max(1, Math.round(w * k)), h: Math.max(1, Math.round(h * k)) };
}

function ImagePreview(props: { a: Attachment; onOpen: () => void }) {
  const [revealed, setRevealed] = createSignal(((props.a.flags ?? 0) & SPOILER) === 0);
  const box = () => fit(props.a);
  const src = () => `${local(props.a.proxy_url)}&width=${box().w}&height=${box().h}`;
  return (
    <button
      class="attachment-image"
      classList={{ spoiler: !revealed() }}
      aria-label={revealed() ? `Open ${props.a.filename}` : "Show spoiler image"}
      onClick={() => (revealed() ? props.onOpen() : setRevealed(true))}
      style={{ width: `${box().w}px`, height: `${box().h}px` }}
    >
      <img src={src()} alt={props.a.description ?? props.a.filename} width={box().w} height={box().h} loading="lazy" />
    </button>
  );
}

export function Attachments(props: { list: Attachment[] }) {
  const [open, setOpen] = createSignal<Attachment | null>(null);
  return (
    <div class="attachments">
      <For each={props.list}>
        {(a) => (
          <Show
            when={isImage(a)}
            fallback={
              <div class="file-card">
                <span class="file-icon" aria-hidden="true">📄</span>
                <div class="grow">
                  <a href={local(a.url)} download={a.filename} rel="noopener">{a.filename}</a>
                  <div class="muted">{formatSize(a.size)}</div>
                </div>
              </div>
            }
          >
            <ImagePreview a={a} onOpen={() => setOpen(a)} />
          </Show>
        )}
      </For>
      <Show when={open()}>
        {(a) => (
          <Modal title={a().filename} onClose={() => setOpen(null)}>
            <div class="lightbox">
              <img src={local(a().url)} alt={a().description ?? a().filename} />
              <a href={local(a().url)} target="_blank" rel="noopener">Open original</a> · {formatSize(a().size)} · {a().width}×{a().height}
            </div>
          </Modal>
        )}
      </Show>
    </div>
  );
}
