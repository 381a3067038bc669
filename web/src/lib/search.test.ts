import { describe, expect, it } from "vitest";
import { parseSearch, snowflakeAt, suggest } from "./search";

const dir = {
  user: (n: string) => ({ alice: "11", bob: "22" } as Record<string, string>)[n.toLowerCase()],
  channel: (n: string) => ({ general: "100", homework: "200" } as Record<string, string>)[n],
};

describe("search box", () => {
  it("turns filters into API parameters and keeps the rest as text", () => {
    const { params, errors } = parseSearch('from:alice in:#homework has:link chapter "dynamic programming" pinned:true', dir);
    expect(errors).toEqual([]);
    expect(params.getAll("author_id")).toEqual(["11"]);
    expect(params.get("channel_id")).toBe("200");
    expect(params.get("has")).toBe("link");
    expect(params.get("pinned")).toBe("true");
    expect(params.get("content")).toBe("chapter dynamic programming");
  });
  it("turns dates into id bounds and reports what it cannot resolve", () => {
    const { params, errors } = parseSearch("during:2026-11-24 from:carol has:spaceship", dir);
    const start = new Date(2026, 10, 24).getTime();
    expect(params.get("min_id")).toBe(snowflakeAt(start));
    expect(params.get("max_id")).toBe(snowflakeAt(start + 86_400_000));
    expect(errors.length).toBe(2);
  });
  it("suggests filters and their values", () => {
    expect(suggest("hello fr", [], [])).toEqual(["from:"]);
    expect(suggest("from:a", ["alice", "bob"], [])).toEqual(["from:alice"]);
    expect(suggest("in:", [], ["general", "homework"])).toEqual(["in:general", "in:homework"]);
  });
});
