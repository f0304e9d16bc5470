/**
 * Failed-login throttling: after `maxFailures` failed logins from one key (a client address) within
 * `windowMs`, that key is refused for `blockMs`, doubling with each further block up to `maxBlockMs`.
 * A successful login clears the key. While a key is blocked its attempts are refused before any
 * credential is checked, so a brute-force run costs the server no password hashing.
 *
 * Keys are addresses, not user names: keyed by user name, anyone could lock a device or a person out
 * by failing their name on purpose, and the secrets guessed at here (generated device passwords, API
 * tokens) are long random strings — the limit is about the cost of guessing, not about one account.
 *
 * Memory is bounded: at most `maxKeys` keys are kept, least recently used dropped first, and a key
 * with no failure for `maxBlockMs` after its last block or window is forgotten.
 */

export interface LoginThrottleOptions {
  /** Failures within the window before the key is blocked. */
  maxFailures?: number;
  windowMs?: number;
  /** The first block; each further block doubles it. */
  blockMs?: number;
  maxBlockMs?: number;
  maxKeys?: number;
  now?: () => number;
}

export const LOGIN_THROTTLE_DEFAULTS = {
  maxFailures: 10,
  windowMs: 60_000,
  blockMs: 60_000,
  maxBlockMs: 15 * 60_000,
  maxKeys: 10_000,
} as const;

interface KeyState {
  failures: number;
  windowStart: number;
  blockedUntil: number;
  /** Blocks in a row, for the doubling. */
  blocks: number;
}

export class LoginThrottle {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly maxBlockMs: number;
  readonly maxKeys: number;
  private readonly now: () => number;
  /** Insertion order is recency: a touched key is moved to the end. */
  private readonly keys = new Map<string, KeyState>();

  constructor(options: LoginThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? LOGIN_THROTTLE_DEFAULTS.maxFailures;
    this.windowMs = options.windowMs ?? LOGIN_THROTTLE_DEFAULTS.windowMs;
    this.blockMs = options.blockMs ?? LOGIN_THROTTLE_DEFAULTS.blockMs;
    this.maxBlockMs = options.maxBlockMs ?? LOGIN_THROTTLE_DEFAULTS.maxBlockMs;
    this.maxKeys = options.maxKeys ?? LOGIN_THROTTLE_DEFAULTS.maxKeys;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds `key` stays blocked; 0 when it may try. */
  blockedFor(key: string): number {
    const state = this.current(key);
    return state ? Math.max(0, state.blockedUntil - this.now()) : 0;
  }

  /** Records a failed login; answers how long `key` is now blocked (0: not yet). */
  failure(key: string): number {
    const now = this.now();
    let state = this.current(key);
    if (!state) {
      state = { failures: 0, windowStart: now, blockedUntil: 0, blocks: 0 };
    } else {
      this.keys.delete(key);
      if (now - state.windowStart >= this.windowMs) {
        state.failures = 0;
        state.windowStart = now;
      }
    }
    this.keys.set(key, state);
    this.evict();
    if (state.blockedUntil > now) return state.blockedUntil - now;
    state.failures += 1;
    if (state.failures < this.maxFailures) return 0;
    const block = Math.min(this.blockMs * 2 ** state.blocks, this.maxBlockMs);
    state.blocks += 1;
    state.blockedUntil = now + block;
    state.failures = 0;
    state.windowStart = now;
    return block;
  }

  /** A successful login: the key starts afresh. */
  success(key: string): void {
    this.keys.delete(key);
  }

  /** Keys held now (for tests and metrics). */
  size(): number {
    return this.keys.size;
  }

  /** The state of `key`, or undefined once it has been quiet long enough to be forgotten. */
  private current(key: string): KeyState | undefined {
    const state = this.keys.get(key);
    if (!state) return undefined;
    const quietSince = Math.max(state.blockedUntil, state.windowStart + this.windowMs);
    if (this.now() - quietSince >= this.maxBlockMs) {
      this.keys.delete(key);
      return undefined;
    }
    return state;
  }

  private evict(): void {
    while (this.keys.size > this.maxKeys) {
      const oldest = this.keys.keys().next();
      if (oldest.done) return;
      this.keys.delete(oldest.value);
    }
  }
}

/** Whole seconds to put in Retry-After for a block of `ms`. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
