/**
 * API tokens: random secrets with a recognisable prefix, stored only as a SHA-256 hash, shown once.
 *
 * Why SHA-256 and not scrypt/argon2: slow, salted hashes exist to protect low-entropy secrets people
 * choose (passwords) from guessing. These tokens are 32 random bytes — 256 bits of entropy — so even a
 * database thief with unlimited fast hashing cannot find a preimage; slowness would buy nothing. A plain
 * unsalted hash also lets every request find its token with one indexed lookup instead of trying each
 * stored salt, and costs microseconds instead of the ~50 ms per request scrypt would add.
 */
import { createHash, randomBytes } from "node:crypto";
import { createBatchedLookups } from "@plantlink/shared";
import type { Sql, TransactionSql } from "../db/connect.ts";
import type { tokens } from "../db/schema.ts";
import type { Role } from "./roles.ts";

/** `plt_` makes a leaked token recognisable to people and to secret scanners. */
export const TOKEN_PREFIX = "plt_";
const TOKEN_SHAPE = /^plt_[A-Za-z0-9_-]{43}$/;
/** Token hashes in one lookup query at most: a bounded parameter, and a bounded wait behind it. */
const MAX_HASHES_PER_LOOKUP = 1_000;

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Who a request acts as, once its token is known. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
  /** Set for edge tokens: the only edge id the token may send batches for. */
  edgeId: string | null;
}

export interface TokenRecord extends Principal {
  createdAt: Date;
  revokedAt: Date | null;
}

export class TokenInputError extends Error {
  readonly code = "token_invalid";
}

export interface NewToken {
  role: Role;
  name: string;
  edgeId?: string | undefined;
}

export interface TokenStore {
  /** Creates a token; the clear token is in the answer and nowhere else, ever. */
  create(input: NewToken): Promise<{ token: string; record: TokenRecord }>;
  list(): Promise<TokenRecord[]>;
  /** Revokes by id; undefined when no such token exists. Revoking twice keeps the first time. */
  revoke(id: string): Promise<TokenRecord | undefined>;
  /** The principal of a live token, or undefined for an unknown, malformed or revoked one. */
  authenticate(token: string): Promise<Principal | undefined>;
  /** How many tokens exist, revoked included: zero means a fresh install. */
  count(): Promise<number>;
}

/**
 * A row as the queries below select it: the schema's columns, camel-cased, with the bigint id as text
 * (postgres.js returns int8 as a string; ids are only ever shown and passed back).
 */
type TokenRow = Omit<typeof tokens.$inferSelect, "id" | "hash"> & { id: string };

function toRecord(row: TokenRow): TokenRecord {
  return {
    tokenId: row.id,
    name: row.name,
    role: row.role,
    edgeId: row.edgeId,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}

function checkNewToken(input: NewToken): void {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) {
    throw new TokenInputError("a token's name must be 1-100 characters; it says who holds the token");
  }
  if (input.role === "edge" && !input.edgeId) {
    throw new TokenInputError("an edge token must be bound to its edge id: pass --edge <edge id>");
  }
  if (input.role !== "edge" && input.edgeId) {
    throw new TokenInputError(
      `only edge tokens are bound to an edge id; --edge does not apply to role ${input.role}`,
    );
  }
  if (input.edgeId !== undefined && (input.edgeId.length === 0 || input.edgeId.length > 128)) {
    throw new TokenInputError("an edge id must be 1-128 characters");
  }
}

const COLUMNS = `id::text as id, name, role, edge_id as "edgeId", created_at as "createdAt", revoked_at as "revokedAt"`;

/**
 * Plain postgres.js queries rather than a drizzle instance: drizzle(client) rewrites the shared
 * client's type parsers in place (see db/migrate.ts), which would change what every other part reads.
 */
export function createTokenStore(sql: Sql | TransactionSql): TokenStore {
  const columns = sql.unsafe(COLUMNS);
  // The token hashes of requests arriving together are looked up in one query instead of one each:
  // under load a round trip per request was a tenth of central's CPU on POST /v1/readings. Nothing is
  // cached: each request's token is checked by a query sent after it arrived
  // (shared/src/batched-lookups.ts), so a revocation committed before a request is seen by it, however
  // many centrals run.
  const lookups = createBatchedLookups(async (hashes) => {
    const rows = await sql<(TokenRow & { hash: string })[]>`
      select ${columns}, hash from tokens where hash = any(${hashes as string[]}) and revoked_at is null`;
    return new Map(rows.map((row) => [row.hash, row]));
  }, MAX_HASHES_PER_LOOKUP);
  return {
    async create(input) {
      checkNewToken(input);
      const token = generateToken();
      const [row] = await sql<TokenRow[]>`
        insert into tokens (name, role, edge_id, hash)
        values (${input.name.trim()}, ${input.role}, ${input.edgeId ?? null}, ${hashToken(token)})
        returning ${columns}`;
      if (!row) throw new Error("inserting a token returned no row");
      return { token, record: toRecord(row) };
    },

    async list() {
      const rows = await sql<TokenRow[]>`select ${columns} from tokens order by id`;
      return rows.map(toRecord);
    },

    async revoke(id) {
      if (!/^\d{1,18}$/.test(id)) return undefined;
      // coalesce: revoking twice keeps the first revocation time, which is when access really ended.
      const [row] = await sql<TokenRow[]>`
        update tokens set revoked_at = coalesce(revoked_at, now()) where id = ${id}::bigint
        returning ${columns}`;
      return row ? toRecord(row) : undefined;
    },

    async authenticate(token) {
      // A malformed token cannot match; answering without a query keeps junk traffic off the database.
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const row = await lookups.find(hashToken(token));
      return row ? toRecord(row) : undefined;
    },

    async count() {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from tokens`;
      return row?.n ?? 0;
    },
  };
}
