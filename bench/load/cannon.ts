/**
 * One autocannon run at one concurrency, with what autocannon's summary leaves out: status codes and
 * errors by kind, counted from its events, and a body that is a new reading on every request (a
 * repeated body would be a duplicate after the first, which is a cheaper path than real traffic).
 */
import autocannon from "autocannon";

export interface CannonOptions {
  url: string;
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** A new body per request, or none. */
  body?: () => string;
}

export interface CannonResult {
  requests: number;
  /** Requests sent (bodies made); sent − answered − failed were still in flight when the run ended. */
  sent: number;
  perSecond: number;
  ok: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  timeouts: number;
  errors: Record<string, number>;
  statuses: Record<string, number>;
}

export function runCannon(options: CannonOptions): Promise<CannonResult> {
  const errors: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const makeBody = options.body;
  let sent = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds,
        timeout: 10,
        headers: { "content-type": "application/json", ...options.headers },
        requests: [
          {
            method: options.method,
            path: options.path,
            ...(makeBody
              ? {
                  setupRequest: (request: autocannon.Request) => {
                    sent += 1;
                    request.body = makeBody();
                    return request;
                  },
                }
              : {}),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const ok = result["2xx"];
        resolve({
          requests: result.requests.total,
          sent,
          perSecond: result.requests.total / result.duration,
          ok,
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          timeouts: result.timeouts,
          errors,
          statuses,
        });
      },
    );
    instance.on("reqError", (error: NodeJS.ErrnoException) => {
      const kind = error.code ?? error.message;
      errors[kind] = (errors[kind] ?? 0) + 1;
    });
    instance.on("response", (_client: unknown, statusCode: number) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
}

/** Requests whose outcome the client never learnt: failed (reset, timed out) or unanswered at the end. */
export function unknownOutcomes(r: CannonResult): number {
  const answered = Object.values(r.statuses).reduce((a, b) => a + b, 0);
  const failed = Object.values(r.errors).reduce((a, b) => a + b, 0);
  return failed + Math.max(0, r.sent - answered - failed);
}

/**
 * What became of the requests: acknowledged (2xx); refused with 503 (overload shedding, an acceptable
 * answer: the sender retries after Retry-After); timed out on the client (a failure: the sender waited
 * 10 s and does not know the outcome); anything else (other statuses, resets, refused connections).
 */
export interface Outcomes {
  ok: number;
  refused: number;
  timeouts: number;
  otherFailures: number;
}

const isTimeout = (kind: string) => /timed? ?out|ETIMEDOUT/i.test(kind);

export function outcomes(r: CannonResult): Outcomes {
  let refused = 0;
  let otherFailures = 0;
  for (const [code, n] of Object.entries(r.statuses)) {
    if (code === "503") refused += n;
    else if (!code.startsWith("2")) otherFailures += n;
  }
  let timeouts = 0;
  for (const [kind, n] of Object.entries(r.errors)) {
    if (isTimeout(kind)) timeouts += n;
    else otherFailures += n;
  }
  return { ok: r.ok, refused, timeouts: Math.max(timeouts, r.timeouts), otherFailures };
}

/** "503 ×12, ECONNRESET ×3, timeout ×40" — every non-2xx answer and every error, by kind. */
export function failureKinds(r: CannonResult): string {
  const parts = [
    ...Object.entries(r.statuses)
      .filter(([code]) => !code.startsWith("2"))
      .map(([code, n]) => `${code} ×${n}`),
    ...Object.entries(r.errors).map(([kind, n]) => `${kind} ×${n}`),
  ];
  return parts.length > 0 ? parts.join(", ") : "none";
}
