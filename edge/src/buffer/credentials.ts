/**
 * Secrets for devices and gateways: generation, hashing, verification. Only hashes are stored.
 *
 * Device passwords use scrypt. Its cost protects a *guessable* password if the buffer file is
 * stolen; a generated password (144 random bits) is beyond guessing at any cost, so it gets a cheap
 * scrypt (~2 ms) and a chosen one the Node default (~40 ms here). The difference matters when a whole
 * site of 2,000 devices reconnects at once after a restart: ~4 s of CPU instead of ~80 s.
 * Gateway tokens are 256 random bits, so SHA-256 is enough and lets the token be looked up directly.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const COST = {
  generated: { N: 1 << 10, r: 8, p: 1 },
  chosen: { N: 1 << 14, r: 8, p: 1 },
} as const;

const KEY_LENGTH = 32;

export type PasswordOrigin = keyof typeof COST;

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Returns `scrypt$N$r$p$salt$hash` (base64url), so costs can change without breaking old hashes. */
export async function hashPassword(password: string, origin: PasswordOrigin): Promise<string> {
  const { N, r, p } = COST[origin];
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N, r, p);
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Checks a password against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (!N || !r || !p) return false;
  const expected = Buffer.from(parts[5] ?? "", "base64url");
  const key = await scryptAsync(password, Buffer.from(parts[4] ?? "", "base64url"), N, r, p);
  return expected.length === key.length && timingSafeEqual(expected, key);
}

/** A hash to verify against when the device is unknown, so timing does not reveal which ids exist. */
export const UNKNOWN_DEVICE_HASH = `scrypt$${COST.generated.N}$8$1$${Buffer.alloc(16).toString("base64url")}$${Buffer.alloc(KEY_LENGTH).toString("base64url")}`;

export const generatePassword = (): string => randomBytes(18).toString("base64url");

export const generateGatewayToken = (): string => `plgw_${randomBytes(32).toString("base64url")}`;

export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/**
 * Remembers successful verifications (keyed by the stored hash and a digest of the password) so a
 * device that reconnects every few seconds costs one scrypt, not one per connection. Changing or
 * disabling a device changes what is looked up, so the cache never outlives a revocation.
 */
export class VerifiedPasswords {
  private readonly verified = new Set<string>();
  constructor(private readonly capacity = 10_000) {}

  async verify(password: string, stored: string): Promise<boolean> {
    const key = `${stored}\u0000${createHash("sha256").update(password).digest("base64url")}`;
    if (this.verified.has(key)) return true;
    const ok = await verifyPassword(password, stored);
    if (ok) {
      if (this.verified.size >= this.capacity) this.verified.clear();
      this.verified.add(key);
    }
    return ok;
  }
}
