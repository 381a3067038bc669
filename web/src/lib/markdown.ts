// Discord-flavoured markdown parsed into a small tree; components render the tree with Solid, so
// user text is only ever inserted as text nodes — never as HTML. Links are http(s) only.

export type Node =
  | { k: "text"; v: string }
  | { k: "b" | "i" | "u" | "s" | "spoiler" | "quote"; c: Node[] }
  | { k: "code"; v: string }
  | { k: "pre"; v: string; lang: string }
  | { k: "link"; href: string; c: Node[] }
  | { k: "user" | "role" | "channel"; id: string }
  | { k: "everyone"; v: string }
  | { k: "emoji"; id: string; name: string; animated: boolean }
  | { k: "br" };

/** Only absolute http(s) URLs become links. */
export function safeUrl(raw: string): string | null {
  try {
    const u = new URL(raw);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

const INLINE: [string, Node["k"]][] = [
  ["||", "spoiler"],
  ["**", "b"],
  ["__", "u"],
  ["~~", "s"],
  ["*", "i"],
  ["_", "i"],
];

function inline(src: string, depth = 0): Node[] {
  const out: Node[] = [];
  let text = "";
  const flush = () => {
    if (text) out.push({ k: "text", v: text });
    text = "";
  };
  let i = 0;
  outer: while (i < src.length) {
    const rest = src.slice(i);
    if (rest[0] === "\\" && rest.length > 1 && /[\\*_~|`<>#\[\]()-]/.test(rest[1])) {
      text += rest[1];
      i += 2;
      continue;
    }
    if (rest[0] === "\n") {
      flush();
      out.push({ k: "br" });
      i++;
      continue;
    }
    if (rest[0] === "`") {
      const end = rest.indexOf("`", 1);
      if (end > 1) {
        flush();
        out.push({ k: "code", v: rest.slice(1, end) });
        i += end + 1;
        continue;
      }
    }
    const mention = /^<(@!?|@&|#)(\d{1,20})>/.exec(rest);
    if (mention) {
      flush();
      out.push({ k: mention[1] === "@&" ? "role" : mention[1] === "#" ? "channel" : "user", id: mention[2] });
      i += mention[0].length;
      continue;
    }
    const emoji = /^<(a?):(\w{2,32}):(\d{1,20})>/.exec(rest);
    if (emoji) {
      flush();
      out.push({ k: "emoji", id: emoji[3], name: emoji[2], animated: emoji[1] === "a" });
      i += emoji[0].length;
      continue;
    }
    const ev = /^@(everyone|here)\b/.exec(rest);
    if (ev) {
      flush();
      out.push({ k: "everyone", v: ev[0] });
      i += ev[0].length;
      continue;
    }
    const masked = /^\[([^\]\n]{1,200})\]\(<?([^)\s>]+)>?\)/.exec(rest);
    if (masked) {
      const href = safeUrl(masked[2]);
      if (href && depth < 4) {
        flush();
        out.push({ k: "link", href, c: inline(masked[1], depth + 1) });
        i += masked[0].length;
        continue;
      }
    }
    const url = /^<?(https?:\/\/[^\s<>]+[^\s<>.,:;"')\]!?])>?/.exec(rest);
    if (url && (i === 0 || /[\s(]/.test(src[i - 1]) || rest[0] === "<")) {
      const href = safeUrl(url[1]);
      if (href) {
        flush();
        out.push({ k: "link", href, c: [{ k: "text", v: url[1] }] });
        i += url[0].length;
        continue;
      }
    }
    if (depth < 6) {
      for (const [mark, kind] of INLINE) {
        if (rest.startsWith(mark)) {
          const end = rest.indexOf(mark, mark.length);
          if (end > mark.length && rest[mark.length] !== " ") {
            flush();
            out.push({ k: kind as "b", c: inline(rest.slice(mark.length, end), depth + 1) });
            i += end + mark.length;
            continue outer;
          }
        }
      }
    }
    text += rest[0];
    i++;
  }
  flush();
  return out;
}

/** Parses a message. */
export function parse(src: string): Node[] {
  const out: Node[] = [];
  const fence = /```([a-zA-Z0-9+-]{0,20})\n?([\s\S]*?)```/g;
  let last = 0;
  for (const m of src.matchAll(fence)) {
    out.push(...blocks(src.slice(last, m.index)));
    out.push({ k: "pre", lang: m[1], v: m[2].replace(/\n$/, "") });
    last = (m.index ?? 0) + m[0].length;
  }
  out.push(...blocks(src.slice(last)));
  return out;
}

function blocks(src: string): Node[] {
  if (!src) return [];
  const out: Node[] = [];
  const lines = src.split("\n");
  let para: string[] = [];
  let quote: string[] = [];
  const flushPara = () => {
    if (para.length) out.push(...inline(para.join("\n")));
    para = [];
  };
  const flushQuote = () => {
    if (quote.length) out.push({ k: "quote", c: inline(quote.join("\n")) });
    quote = [];
  };
  for (const line of lines) {
    if (line.startsWith("> ") || line === ">") {
      flushPara();
      quote.push(line.slice(2));
    } else {
      flushQuote();
      para.push(line);
    }
  }
  flushPara();
  flushQuote();
  return out;
}

/** Turns `:name:` into `<:name:id>` for a community's own emoji (as Discord's client does);
 * code spans and text already in `<…>` form are left alone. */
export function withCustomEmoji(text: string, emojis: { id: string; name: string; animated?: boolean }[]): string {
  if (!emojis.length || !text.includes(":")) return text;
  const byName = new Map(emojis.map((e) => [e.name, e]));
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/(<a?)?:(\w{2,32}):(\d+>)?/g, (m, open, name, close) => {
            if (open || close) return m;
            const e = byName.get(name);
            return e ? `<${e.animated ? "a" : ""}:${e.name}:${e.id}>` : m;
          }),
    )
    .join("");
}
