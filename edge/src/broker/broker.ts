/**
 * The embedded MQTT broker: aedes with our hooks, on TCP (always), TLS and WebSocket (when
 * configured). aedes keeps no state we rely on: durability lives in the buffer, behind the hook.
 */
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer } from "node:tls";
import { listenWithBacklog } from "@plantlink/shared";
import { Aedes, type Client, type PublishPacket } from "aedes";
import type { Logger } from "pino";
import type { WebSocketServer } from "ws";
import type { BrokerAuth } from "./auth.ts";
import type { AuthorizePublish } from "./ingest.ts";
import { guardConnection, MAX_CONTROL_PACKET_BYTES, type PacketLimits } from "./packet-guard.ts";
import type { OnPacketRefused } from "./packet-refusals.ts";
import { correctSessionPresent, HeldQos2 } from "./session-present.ts";

export interface MqttBroker {
  ports: { tcp: number; tls: number | undefined; ws: number | undefined };
  clients(): Iterable<Client>;
  connected(): number;
  /** Stops accepting connections; connected clients stay until close(). */
  stopAccepting(): void;
  close(): Promise<void>;
}

export interface BrokerOptions {
  auth: BrokerAuth;
  /** Built from the broker's own QoS 2 store, which only exists once the broker does. */
  authorizePublish: (
    qos2Received: (client: Client, packet: PublishPacket) => Promise<boolean>,
  ) => AuthorizePublish;
  host: string | undefined;
  port: number;
  tlsPort: number | undefined;
  wsPort: number | undefined;
  tls: { cert: Buffer; key: Buffer } | undefined;
  /** PLANTLINK_MQTT_MAX_PAYLOAD_BYTES: larger PUBLISHes are refused at their header. */
  maxPayloadBytes: number;
  onPacketRefused: OnPacketRefused;
  logger: Logger;
}

interface IncomingStore {
  incomingGetPacket(client: Client, packet: PublishPacket): Promise<unknown>;
  incomingStorePacket(client: Client, packet: PublishPacket): Promise<unknown>;
  incomingDelPacket(client: Client, packet: PublishPacket): Promise<unknown>;
  cleanIncoming?(client: Client): Promise<unknown>;
}

export async function startBroker(options: BrokerOptions): Promise<MqttBroker> {
  const { auth, logger } = options;
  let authorizePublish: AuthorizePublish = (_c, _p, cb) => cb(new Error("broker starting"));
  const aedes = await Aedes.createBroker({
    preConnect: auth.preConnect,
    authenticate: auth.authenticate,
    authorizeSubscribe: auth.authorizeSubscribe,
    authorizePublish: (client, packet, cb) => authorizePublish(client, packet, cb),
    // Client ids are namespaced by username (auth.ts); leave room for MQTT 3.1 clients' 23 characters.
    maxClientsIdLength: 23 + 65,
  });
  const store = (aedes as unknown as { persistence: IncomingStore }).persistence;
  const heldQos2 = new HeldQos2(store);
  authorizePublish = options.authorizePublish((client, packet) =>
    store.incomingGetPacket(client, packet).then(
      () => true,
      () => false,
    ),
  );

  const clients = new Set<Client>();
  aedes.on("clientReady", (client) => {
    clients.add(client);
    logger.debug({ clientId: client.id }, "MQTT client connected");
  });
  aedes.on("clientDisconnect", (client) => {
    clients.delete(client);
    logger.debug({ clientId: client.id }, "MQTT client disconnected");
  });
  aedes.on("clientError", (client, error) => {
    clients.delete(client);
    logger.debug({ clientId: client.id, err: error.message }, "MQTT client error");
  });

  const limits: PacketLimits = {
    maxControlPacketBytes: MAX_CONTROL_PACKET_BYTES,
    maxPayloadBytes: options.maxPayloadBytes,
  };
  // Every transport goes through the packet guard before aedes reads a byte of it.
  const handle = (conn: Duplex, req?: IncomingMessage) => {
    let client: Client | undefined;
    const address = (req?.socket ?? (conn as Partial<Socket>)).remoteAddress ?? "unknown";
    guardConnection(conn, limits, (refusal) => options.onPacketRefused(refusal, client, address));
    // Written only after a successful login: the CONNACK of a refused one says no session.
    correctSessionPresent(
      conn,
      () =>
        client !== undefined &&
        !client.clean &&
        auth.identity(client) !== undefined &&
        heldQos2.holds(client.id),
    );
    client = aedes.handle(conn, req);
  };
  // noDelay: a PUBACK is 4 bytes; Nagle would hold it back waiting for more.
  const servers: (NetServer | HttpServer)[] = [];
  const tcp = createNetServer({ noDelay: true, keepAlive: true }, handle);
  servers.push(tcp);
  const ports: MqttBroker["ports"] = {
    tcp: await listenWithBacklog(tcp, options.port, options.host),
    tls: undefined,
    ws: undefined,
  };

  if (options.tlsPort !== undefined && options.tls) {
    const tls = createTlsServer({ ...options.tls, noDelay: true, keepAlive: true }, handle);
    servers.push(tls);
    ports.tls = await listenWithBacklog(tls, options.tlsPort, options.host);
  }

  let wss: WebSocketServer | undefined;
  if (options.wsPort !== undefined) {
    const { createWebSocketStream, WebSocketServer } = await import("ws");
    const http = options.tls ? createHttpsServer(options.tls) : createHttpServer();
    // ws holds a whole WebSocket message before handing it on (100 MiB by default): cap it at the
    // largest MQTT packet the guard would let through.
    const maxPayload = Math.max(MAX_CONTROL_PACKET_BYTES, options.maxPayloadBytes + 4 + 2 + 65_535 + 2);
    wss = new WebSocketServer({ server: http, maxPayload });
    wss.on("connection", (socket, req) => handle(createWebSocketStream(socket), req));
    servers.push(http);
    ports.ws = await listenWithBacklog(http, options.wsPort, options.host);
  }

  let closing: Promise<void> | undefined;
  const serverClosed = servers.map((s) => new Promise<void>((resolve) => s.once("close", () => resolve())));
  const stopAccepting = () => {
    for (const s of servers) if (s.listening) s.close();
  };

  return {
    ports,
    clients: () => clients,
    connected: () => aedes.connectedClients,
    stopAccepting,
    close() {
      closing ??= (async () => {
        stopAccepting();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        wss?.close();
        for (const s of servers) (s as HttpServer).closeAllConnections?.();
        await Promise.all(serverClosed);
      })();
      return closing;
    },
  };
}
