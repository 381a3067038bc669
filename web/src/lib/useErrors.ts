// One way for forms to run a request and show its first error (a field error, named, when the
// server gave one).
import { createSignal } from "solid-js";
import { ApiError } from "../api/client";

export function useErrors() {
  const [err, setErr] = createSignal("");
  const run = async (f: () => Promise<unknown>) => {
    setErr("");
    try {
      await f();
    } catch (e) {
      setErr(e instanceof ApiError ? Object.entries(e.fields()).map(([k, v]) => `${k}: ${v}`)[0] ?? e.message : "Something went wrong");
    }
  };
  return [err, run] as const;
}
