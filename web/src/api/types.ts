// Wire types, generated from the server's OpenAPI document (src/api/schema.d.ts, made by
// `npm run api-types` from crates/server/openapi.json). Never written by hand.
import type { components } from "./schema";

type S = components["schemas"];
export type User = S["User"];
export type CurrentUser = S["CurrentUser"];
export type PartialGuild = S["PartialGuild"];
export type Guild = S["Guild"];
export type Role = S["Role"];
export type Member = S["Member"];
export type Channel = S["Channel"];
export type Overwrite = S["Overwrite"];
export type Message = S["Message"];
export type Reaction = S["Reaction"];
export type Invite = S["Invite"];
export type Ban = S["Ban"];
export type AuditLog = S["AuditLog"];
export type AuditLogEntry = S["AuditLogEntry"];
export type AutoModRule = S["AutoModRule"];
export type Report = S["Report"];
export type GuildRules = S["GuildRules"];
export type Attachment = S["Attachment"];
export type Emoji = S["Emoji"];
