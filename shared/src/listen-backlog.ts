/**
 * Listening with a deep accept queue: the connections a listening socket holds before the process
 * accepts them. Node's default is 511; when thousands of clients connect at once (a plant's
 * gateways after a network outage, a shift of dashboards opening), the rest overflow the queue, their
 * handshakes are dropped and retried with a growing back-off, and their first request can wait past a
 * client's timeout although the service is idle. The kernel caps this at net.core.somaxconn (4096 on
 * current Linux), so asking for more is harmless there and takes effect where an operator has raised it.
 */
import type { AddressInfo, Server } from "node:net";

const LISTEN_BACKLOG = 65_535;

/** Listens on `port` (0: a free one) with that queue; resolves with the port bound, rejects if it cannot. */
export function listenWithBacklog(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
