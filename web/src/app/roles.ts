import type { Role, Whoami } from "../api/types.js";

/** The server's roles, each allowing what the ones before it allow (src/server/auth.ts). */
export const ROLES: readonly Role[] = ["viewer", "developer", "operator", "admin"];

/**
 * Whether the signed-in token may act with `role` on `project` (undefined: server-wide), as the
 * server decides it. The UI only uses this to hide or disable controls: the server still checks
 * every call, and the UI shows its answer when it refuses.
 */
export function allows(who: Whoami | undefined, role: Role, project: string | undefined): boolean {
  if (who === undefined) return false;
  if (ROLES.indexOf(who.role) < ROLES.indexOf(role)) return false;
  if (who.project === undefined) return true;
  return project !== undefined && project === who.project;
}

/** Why a control is disabled, for its tooltip and screen readers. */
export function refusal(who: Whoami | undefined, role: Role, project: string | undefined): string {
  if (who === undefined) return "sign in first";
  if (who.project !== undefined && project !== who.project)
    return `your token is limited to project ${who.project}`;
  return `needs the ${role} role (you are ${who.role})`;
}
