/**
 * A TCP proxy for chaos tests, between the edge and central: it passes bytes through until told to
 * misbehave the way real links do.
 *
 * - `cut(ms)`: every open connection is reset and new ones are refused (reset at once) — a link down.
 * - `stall(ms)`: connections stay open but no byte moves either way — a link that silently hangs, the
 *   case only timeouts detect.
 * - `reset()`: every open connection gets a TCP RST once; new ones work.
 * - `dropResponses(n)`: the next `n` answers from upstream are swallowed and the connection cut — the
 *   request reached central (and committed) but the edge never hears back.
 */
import { createServer, type Server, type Socket } from "node:net";

export interface FaultProxy {
  port: number;
  url(scheme?: "http" | "https"): string;
  cut(ms?: number): void;
  stall(ms?: number): void;
  reset(): void;
  dropResponses(count: number): void;
  heal(): void;
  /** Faults applied so far, by kind, for the test's report. */
  counts(): Record<"cut" | "stall" | "reset" | "dropped", number>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startFaultProxy(target: { host: string; port: number }, port = 0): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let mode: "pass" | "cut" | "stall" = "pass";
  let toDrop = 0;
  let healTimer: NodeJS.Timeout | undefined;
  const counts = { cut: 0, stall: 0, reset: 0, dropped: 0 };

  const kill = (pair: Pair) => {
    pair.client.resetAndDestroy();
    pair.upstream.resetAndDestroy();
    pairs.delete(pair);
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    if (mode === "cut") {
      client.resetAndDestroy();
      return;
    }
    const upstream = new (client.constructor as typeof Socket)();
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    upstream.connect(target.port, target.host);
    const end = () => {
      if (!pairs.has(pair)) return;
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.on("data", (chunk) => {
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on("drain", () => {
      if (mode === "pass") client.resume();
    });
    upstream.on("data", (chunk) => {
      if (toDrop > 0) {
        toDrop -= 1;
        counts.dropped += 1;
        kill(pair);
        return;
      }
      if (!client.write(chunk)) upstream.pause();
    });
    client.on("drain", () => {
      if (mode === "pass") upstream.resume();
    });
    // Attaching 'data' listeners makes a socket flow; a stalled link must not.
    if (mode === "pass") client.resume();
    else {
      client.pause();
      upstream.pause();
    }
  });

  const schedule = (ms: number | undefined) => {
    if (healTimer) clearTimeout(healTimer);
    healTimer = ms === undefined ? undefined : setTimeout(() => proxy.heal(), ms);
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the proxy has no port");

  const proxy: FaultProxy = {
    port: address.port,
    url: (scheme = "http") => `${scheme}://127.0.0.1:${address.port}`,
    cut(ms) {
      mode = "cut";
      counts.cut += 1;
      for (const pair of [...pairs]) kill(pair);
      schedule(ms);
    },
    stall(ms) {
      mode = "stall";
      counts.stall += 1;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
      schedule(ms);
    },
    reset() {
      counts.reset += 1;
      for (const pair of [...pairs]) kill(pair);
    },
    dropResponses(count) {
      toDrop += count;
    },
    heal() {
      schedule(undefined);
      mode = "pass";
      for (const { client, upstream } of pairs) {
        client.resume();
        upstream.resume();
      }
    },
    counts: () => ({ ...counts }),
    close() {
      schedule(undefined);
      for (const pair of [...pairs]) kill(pair);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
