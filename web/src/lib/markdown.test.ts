import { describe, expect, it } from "vitest";
import { parse, safeUrl, withCustomEmoji } from "./markdown";

describe("markdown", () => {
  it("parses emphasis, code, quotes, spoilers and mentions", () => {
    const n = parse("**b** *i* __u__ ~~s~~ ||sp|| `c` <@12> <@&34> <#56> @everyone");
    const kinds = n.map((x) => x.k).filter((k) => k !== "text");
    expect(kinds).toEqual(["b", "i", "u", "s", "spoiler", "code", "user", "role", "channel", "everyone"]);
    expect(parse("> quoted")[0].k).toBe("quote");
    expect(parse("```js\nlet x = 1;\n```")[0]).toEqual({ k: "pre", lang: "js", v: "let x = 1;" });
  });

  it("parses custom emoji", () => {
    expect(parse("hi <:party_cat:123> <a:dance:45>")).toEqual([
      { k: "text", v: "hi " },
      { k: "emoji", id: "123", name: "party_cat", animated: false },
      { k: "text", v: " " },
      { k: "emoji", id: "45", name: "dance", animated: true },
    ]);
  });

  it("turns :name: into the community's emoji, leaving code and unknown names", () => {
    const emojis = [{ id: "7", name: "party" }, { id: "8", name: "dance", animated: true }];
    expect(withCustomEmoji("yay :party: :dance: :nope:", emojis)).toBe("yay <:party:7> <a:dance:8> :nope:");
    expect(withCustomEmoji("`:party:` <:party:7>", emojis)).toBe("`:party:` <:party:7>");
  });

  it("only links http and https", () => {
    expect(safeUrl("javascript:alert(1)")).toBeNull();
    expect(safeUrl("data:text/html,<script>alert(1)</script>")).toBeNull();
    expect(safeUrl("https://example.com/x")).toBe("https://example.com/x");
    const masked = parse("[click](javascript:alert(1))");
    expect(masked.every((x) => x.k === "text")).toBe(true);
    const ok = parse("[docs](https://example.com)");
    expect(ok[0]).toMatchObject({ k: "link", href: "https://example.com/" });
  });

  it("keeps HTML as plain text", () => {
    const n = parse('<img src=x onerror="alert(1)">');
    expect(n).toEqual([{ k: "text", v: '<img src=x onerror="alert(1)">' }]);
  });
});
