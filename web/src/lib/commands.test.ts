import { describe, expect, it } from "vitest";
import { parseOptions } from "./commands";

const cmd = { id: "1", application_id: "2", name: "remind", description: "", type: 1, options: [
  { type: 3, name: "text", description: "", required: true },
  { type: 4, name: "minutes", description: "" },
  { type: 5, name: "loud", description: "" },
  { type: 6, name: "who", description: "" },
] };

describe("slash command options", () => {
  it("parses typed options, quoted strings and mentions", () => {
    expect(parseOptions(cmd, 'text:"buy milk" minutes:5 loud:yes who:<@42>')).toEqual({ options: [
      { name: "text", type: 3, value: "buy milk" },
      { name: "minutes", type: 4, value: 5 },
      { name: "loud", type: 5, value: true },
      { name: "who", type: 6, value: "42" },
    ] });
  });
  it("refuses missing required options, unknown names and bad values", () => {
    expect(parseOptions(cmd, "minutes:5")).toHaveProperty("error");
    expect(parseOptions(cmd, "text:x nope:1")).toHaveProperty("error");
    expect(parseOptions(cmd, "text:x minutes:soon")).toHaveProperty("error");
  });
});
