import { describe, expect, it } from "vitest";
import { buildForm, formatSize } from "./upload";

describe("uploads", () => {
  it("puts the payload first and numbers the files", async () => {
    const a = new File(["hello"], "a.txt");
    const b = new File([new Uint8Array(3)], "b.png");
    const form = buildForm({ content: "hi" }, [a, b]);
    const keys = [...form.keys()];
    expect(keys).toEqual(["payload_json", "files[0]", "files[1]"]);
    expect(JSON.parse(form.get("payload_json") as string)).toEqual({
      content: "hi",
      attachments: [{ id: 0, filename: "a.txt" }, { id: 1, filename: "b.png" }],
    });
  });

  it("formats sizes", () => {
    expect(formatSize(12)).toBe("12 bytes");
    expect(formatSize(2048)).toBe("2 KB");
    expect(formatSize(3.5 * 1024 * 1024)).toBe("3.5 MB");
  });
});
