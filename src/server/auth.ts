import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { ControlStore, TokenKind, TokenRecord } from "../store/index.js";

/** Roles of a user token, each allowing what the ones before it allow. */
export const ROLES = ["viewer", "developer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling. Agents are separate from users: they can lease jobs and nothing else. */
export type Principal =
  | { kind: "user"; tokenId: string; name: string; role: Role; project: string | undefined }
  | { kind: "agent"; tokenId: string; name: string };

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether a user may act with `role` on `project` (undefined: a server-wide action). */
export function allows(principal: Principal, role: Role, project: string | undefined): boolean {
  if (principal.kind !== "user") return false;
  if (ROLES.indexOf(principal.role) < ROLES.indexOf(role)) return false;
  // A token scoped to one project can do nothing server-wide and nothing elsewhere.
  if (principal.project === undefined) return true;
  // "*": a listing over every project, which the handler filters to the ones the token sees.
  return project === "*" || (project !== undefined && project === principal.project);
}

/** The projects a user sees: undefined means all of them. */
export function visibleProjects(principal: Principal): string[] | undefined {
  if (principal.kind !== "user") return [];
  return principal.project === undefined ? undefined : [principal.project];
}

/**
 * Tokens are 32 random bytes behind a recognisable prefix (so secret scanners can find a leaked
 * one). Only their SHA-256 is stored: a salt would add nothing to a value with 256 bits of entropy.
 */
export function newToken(kind: TokenKind): string {
  return `${kind === "agent" ? "slwa" : "slw"}_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export interface CreatedToken {
  token: string;
  record: TokenRecord;
}

export async function createToken(
  control: ControlStore,
  options: {
    kind: TokenKind;
    name: string;
    role?: Role | undefined;
    project?: string | undefined;
    createdBy: string;
  },
): Promise<CreatedToken> {
  const token = newToken(options.kind);
  const record: TokenRecord = {
    id: randomUUID(),
    name: options.name,
    kind: options.kind,
    role: options.kind === "user" ? (options.role ?? "viewer") : undefined,
    project: options.project,
    createdAt: Date.now(),
    createdBy: options.createdBy,
    lastUsedAt: undefined,
    revokedAt: undefined,
  };
  await control.createToken({ ...record, hash: hashToken(token) });
  return { token, record };
}

/** How long a looked-up token is trusted before the store is asked again (revocation delay). */
const CACHE_MS = 5_000;

/** Resolves bearer tokens to principals, with a short cache so every request is not a query. */
export class Authenticator {
  readonly #cache = new Map<string, { principal: Principal | undefined; until: number }>();

  constructor(private readonly control: ControlStore) {}

  async principal(token: string | undefined): Promise<Principal | undefined> {
    if (!token) return undefined;
    const hash = hashToken(token);
    const now = Date.now();
    const cached = this.#cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const record = await this.control.findToken(hash);
    let principal: Principal | undefined;
    if (record && record.revokedAt === undefined) {
      principal =
        record.kind === "agent"
          ? { kind: "agent", tokenId: record.id, name: record.name }
          : {
              kind: "user",
              tokenId: record.id,
              name: record.name,
              role: isRole(record.role ?? "") ? (record.role as Role) : "viewer",
              project: record.project,
            };
      await this.control.touchToken(record.id, now);
    }
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(hash, { principal, until: now + CACHE_MS });
    return principal;
  }

  forget(): void {
    this.#cache.clear();
  }
}

/** The bearer token of a request: `Authorization: Bearer T`, or Basic with the token as password. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(" ", 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === "bearer") return value.trim();
  if (scheme?.toLowerCase() === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}
