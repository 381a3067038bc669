// Slash commands typed in the composer: `/name key:value key:"quoted value"`.

export interface CommandOption {
  type: number;
  name: string;
  description: string;
  required?: boolean;
}

export interface Command {
  id: string;
  application_id: string;
  name: string;
  description: string;
  type: number;
  options?: CommandOption[];
}

/** Parses the text after the command name into typed options; returns an error text if invalid. */
export function parseOptions(cmd: Command, args: string): { options: { name: string; type: number; value: unknown }[] } | { error: string } {
  const out: { name: string; type: number; value: unknown }[] = [];
  const re = /([\p{L}\p{N}_'-]+):(?:"([^"]*)"|(\S+))/gu;
  for (const m of args.matchAll(re)) {
    const def = cmd.options?.find((o) => o.name === m[1]);
    if (!def) return { error: `/${cmd.name} has no option "${m[1]}"` };
    const raw = m[2] ?? m[3];
    let value: unknown = raw;
    switch (def.type) {
      case 4:
        value = Number.parseInt(raw, 10);
        if (!Number.isInteger(value)) return { error: `${def.name} must be a whole number` };
        break;
      case 10:
        value = Number(raw);
        if (Number.isNaN(value)) return { error: `${def.name} must be a number` };
        break;
      case 5:
        if (!["true", "false", "yes", "no"].includes(raw.toLowerCase())) return { error: `${def.name} must be true or false` };
        value = ["true", "yes"].includes(raw.toLowerCase());
        break;
      case 6:
      case 7:
      case 8:
      case 9:
        value = raw.replace(/^<[@#]?[!&]?/, "").replace(/>$/, "");
        break;
    }
    out.push({ name: def.name, type: def.type, value });
  }
  for (const o of cmd.options ?? []) {
    if (o.required && !out.some((x) => x.name === o.name)) return { error: `/${cmd.name} needs ${o.name}:` };
  }
  return { options: out };
}
