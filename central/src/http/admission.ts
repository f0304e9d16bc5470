/**
 * Admission control: each class of route has a bound on requests in progress and on requests waiting
 * for one of those places. Past either — the queue full, or a request waiting longer than `waitMs` —
 * the request is answered 503 with Retry-After at once, before any work (no token lookup, no body
 * read), so overload is refused in milliseconds instead of every caller timing out together.
 *
 * Classes are separate so that a flood of one kind cannot starve another: ingest (readings and edge
 * batches: cheap each, many at once, group-committed), backfill (long streamed uploads) and queries
 * (everything else under /v1). Probes, metrics, the API docs and the dashboard's pages are never
 * limited: an overloaded central must still say so.
 *
 * The bounds are per process; nothing here needs agreeing on with other workers or servers.
 */
import type { MiddlewareHandler } from "hono";
import { Counter, Gauge, type Registry } from "prom-client";
import type { AppEnv } from "./context.ts";
import { ProblemError } from "./problem.ts";

export type RouteClass = "ingest" | "backfill" | "query";
const CLASSES: readonly RouteClass[] = ["ingest", "backfill", "query"];

export interface ClassLimits {
  /** Requests of the class in progress at once. */
  concurrency: number;
  /** Requests waiting for a place; more are refused at once. */
  queue: number;
}

export interface AdmissionLimits {
  ingest: ClassLimits;
  backfill: ClassLimits;
  query: ClassLimits;
  /** The longest a request waits for a place before it is refused. */
  waitMs: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = {
  // Ingest requests mostly wait on their group's commit (ingest/group-commit.ts), so many at once cost
  // little and make bigger groups.
  ingest: { concurrency: 512, queue: 2_048 },
  backfill: { concurrency: 4, queue: 8 },
  // Queries each hold a database connection for their statement; beyond a few per connection they only
  // wait longer for the pool.
  query: { concurrency: 64, queue: 512 },
  waitMs: 100,
};

/** Seconds a refused client should wait: overload passes quickly, and readings sent again are stored once. */
const RETRY_AFTER_SECONDS = 1;

export class OverloadedError extends ProblemError {
  constructor(routeClass: RouteClass, limits: ClassLimits, reason: "queue_full" | "waited", waitMs: number) {
    const why =
      reason === "queue_full"
        ? `${limits.concurrency} ${routeClass} requests are in progress and ${limits.queue} waiting`
        : `no place among the ${limits.concurrency} ${routeClass} requests in progress came free within ${waitMs} ms`;
    super(
      503,
      "overloaded",
      "Service Unavailable",
      `central is at its limit: ${why}; send the request again after Retry-After seconds (nothing of it was stored)`,
      undefined,
      { "Retry-After": String(RETRY_AFTER_SECONDS) },
    );
  }
}

/** The class of a request, or undefined for the routes that are never limited. */
export function routeClassOf(method: string, path: string): RouteClass | undefined {
  if (!path.startsWith("/v1/")) return undefined;
  if (method === "POST") {
    if (path === "/v1/readings" || path === "/v1/edge/batches") return "ingest";
    if (path === "/v1/backfill") return "backfill";
  }
  return "query";
}

interface Waiter {
  admit(): void;
  timer: NodeJS.Timeout;
}

/** The places of one class: a counter and a FIFO of waiters. */
class Gate {
  running = 0;
  readonly waiting = new Set<Waiter>();

  constructor(
    readonly routeClass: RouteClass,
    readonly limits: ClassLimits,
    readonly waitMs: number,
    readonly refused: (reason: "queue_full" | "waited") => void,
  ) {}

  /** Undefined when admitted at once (no promise on the common path); else resolves when admitted. */
  enter(): Promise<void> | undefined {
    if (this.running < this.limits.concurrency && this.waiting.size === 0) {
      this.running++;
      return undefined;
    }
    if (this.waiting.size >= this.limits.queue) throw this.refuse("queue_full");
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: resolve,
        timer: setTimeout(() => {
          this.waiting.delete(waiter);
          reject(this.refuse("waited"));
        }, this.waitMs),
      };
      this.waiting.add(waiter);
    });
  }

  leave(): void {
    this.running--;
    const [next] = this.waiting;
    if (next && this.running < this.limits.concurrency) {
      this.waiting.delete(next);
      clearTimeout(next.timer);
      this.running++;
      next.admit();
    }
  }

  private refuse(reason: "queue_full" | "waited"): OverloadedError {
    this.refused(reason);
    return new OverloadedError(this.routeClass, this.limits, reason, this.waitMs);
  }
}

/** The admission middleware, counting refusals and exposing each class's load on `registry`. */
export function admission(limits: AdmissionLimits, registry: Registry): MiddlewareHandler<AppEnv> {
  const refusedTotal = new Counter({
    name: "plantlink_central_requests_refused_total",
    help: "Requests refused with 503 by admission control, by route class and reason (queue_full, waited)",
    labelNames: ["class", "reason"] as const,
    registers: [registry],
  });
  const gates = {} as Record<RouteClass, Gate>;
  for (const routeClass of CLASSES) {
    for (const reason of ["queue_full", "waited"]) refusedTotal.inc({ class: routeClass, reason }, 0);
    gates[routeClass] = new Gate(routeClass, limits[routeClass], limits.waitMs, (reason) =>
      refusedTotal.inc({ class: routeClass, reason }),
    );
  }
  new Gauge({
    name: "plantlink_central_requests_in_progress",
    help: "Requests admitted and not yet answered, by route class",
    labelNames: ["class"] as const,
    registers: [registry],
    collect() {
      for (const routeClass of CLASSES) this.set({ class: routeClass }, gates[routeClass].running);
    },
  });
  new Gauge({
    name: "plantlink_central_requests_waiting",
    help: "Requests waiting for admission, by route class",
    labelNames: ["class"] as const,
    registers: [registry],
    collect() {
      for (const routeClass of CLASSES) this.set({ class: routeClass }, gates[routeClass].waiting.size);
    },
  });

  return async (c, next) => {
    const routeClass = routeClassOf(c.req.method, c.req.path);
    if (!routeClass) return next();
    const gate = gates[routeClass];
    const waiting = gate.enter();
    if (waiting) await waiting;
    try {
      await next();
    } finally {
      gate.leave();
    }
  };
}
