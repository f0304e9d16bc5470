/**
 * Many clients connecting at the same moment while the server is busy: the accept queue must hold
 * them all, or the kernel drops the overflow's handshakes and they wait for TCP's retransmission
 * back-off before the server ever sees them.
 */
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";

/** The kernel's cap on any listener's accept queue; a storm larger than it cannot be held. */
export function kernelBacklogCap(): number {
  try {
    return Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim());
  } catch {
    return 0;
  }
}

/**
 * Opens `clients` connections to `port` while this process — the server's — is kept busy for
 * `busyMs`, so none is accepted before every handshake has arrived; then each sends `request` and the
 * result is the milliseconds until every one of them had an answer (bytes, or the server closing).
 */
export async function connectStorm(
  port: number,
  options: { clients: number; busyMs: number; request: Buffer | string },
): Promise<number> {
  const sockets: Socket[] = [];
  const answered: Promise<void>[] = [];
  for (let i = 0; i < options.clients; i++) {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    sockets.push(socket);
    answered.push(
      new Promise((resolve) => {
        socket.once("data", () => resolve());
        socket.once("close", () => resolve());
      }),
    );
  }
  // The connect() calls run on the next tick; then the handshakes complete in the kernel alone.
  await new Promise((resolve) => setImmediate(resolve));
  const until = performance.now() + options.busyMs;
  while (performance.now() < until) {
    // Busy, as a server is under load: nothing is accepted meanwhile.
  }
  const started = performance.now();
  for (const socket of sockets) socket.write(options.request);
  await Promise.all(answered);
  const ms = performance.now() - started;
  for (const socket of sockets) socket.destroy();
  return ms;
}
