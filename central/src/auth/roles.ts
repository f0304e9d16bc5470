/** The roles a token can have (DESIGN.md section 4). Admin may do everything any other role may. */
import { z } from "zod";

export const ROLES = ["admin", "edge", "ingest", "vendor", "viewer"] as const;
export const roleSchema = z.enum(ROLES, { error: `expected one of ${ROLES.join(", ")}` });
export type Role = z.infer<typeof roleSchema>;

/** Whether a token of `role` may call a route that admits `allowed`. */
export function roleAllows(role: Role, allowed: readonly Role[]): boolean {
  return role === "admin" || allowed.includes(role);
}
