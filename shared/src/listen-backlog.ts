/**
 * How many connections a listening socket queues before the process accepts them. Node's default is
 * 511: when thousands of clients connect at once (a plant's gateways after a network outage, a shift
 * of dashboards opening), the rest overflow the queue, their handshakes are dropped and retried with a
 * growing back-off, and their first request can wait past a client's timeout although the service is
 * idle. The kernel caps this at net.core.somaxconn (4096 on current Linux), so asking for more is
 * harmless there and takes effect where an operator has raised it.
 */
export const LISTEN_BACKLOG = 65_535;
