/**
 * Who may connect to the broker and what they may do: devices log in with username = device id and
 * the password registered for it; anonymous clients only when PLANTLINK_ALLOW_ANONYMOUS is set; no
 * subscriptions unless PLANTLINK_MQTT_ALLOW_SUBSCRIBE is set. What a device may publish is decided in
 * ingest.ts, next to the commit it gates.
 */
import type { Socket } from "node:net";
import { type LoginThrottle, retryAfterSeconds } from "@plantlink/shared";
import type { AuthenticateError, Client, ConnectPacket, Subscription } from "aedes";
import type { Logger } from "pino";
import { UNKNOWN_DEVICE_HASH, type VerifiedPasswords } from "../buffer/credentials.ts";
import type { Registry } from "../buffer/registry.ts";
import type { Refusal } from "../errors.ts";
import { connectViolation, identifierRejected } from "./conformance.ts";
import { READINGS_TOPIC_PREFIX } from "./payload.ts";

export type Identity = { kind: "device"; id: string } | { kind: "anonymous" };

export interface BrokerAuth {
  preConnect(
    client: Client,
    packet: ConnectPacket,
    done: (error: Error | null, success: boolean) => void,
  ): void;
  authenticate(
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void;
  authorizeSubscribe(
    client: Client,
    subscription: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void;
  identity(client: Client | null): Identity | undefined;
  /** Closes connections of devices that were disabled (or deleted) since they logged in. */
  sweepDisabled(clients: Iterable<Client>): number;
}

export interface BrokerAuthOptions {
  registry: Registry;
  verified: VerifiedPasswords;
  allowAnonymous: boolean;
  allowSubscribe: boolean;
  /** Why the buffer refuses readings right now; new connections are then refused too. */
  refusal: () => Refusal | undefined;
  /** Failed logins per client address, shared with the HTTP receiver. */
  throttle: LoginThrottle;
  logger: Logger;
}

// MQTT 3.1.1 CONNACK return codes (aedes 1.2 speaks 3.1 and 3.1.1 only).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function authError(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** The peer's address: the socket's for TCP and TLS, the HTTP request's for WebSocket. */
export function clientAddress(client: Client): string {
  return (client.req?.socket ?? (client.conn as Partial<Socket>)).remoteAddress ?? "unknown";
}

export function createBrokerAuth(options: BrokerAuthOptions): BrokerAuth {
  const { registry, verified, throttle, logger } = options;
  const identities = new WeakMap<Client, Identity>();
  // Set in preConnect, answered in authenticate: only authenticate can send a CONNACK with a code.
  const rejectedIdentifiers = new WeakSet<Client>();

  return {
    preConnect(client, packet, done) {
      const violation = connectViolation(packet);
      if (violation) {
        // An error here makes aedes close the connection without a CONNACK, as MQTT requires.
        logger.warn({ address: clientAddress(client), reason: violation }, "MQTT CONNECT refused");
        done(new Error(violation), false);
        return;
      }
      if (identifierRejected(packet)) rejectedIdentifiers.add(client);
      // aedes keys sessions by client id and a new connection takes over an existing session with the
      // same id. Namespacing the id by the username keeps device A from kicking device B off by
      // reusing B's client id; devices never see the change.
      if (packet.clientId) packet.clientId = `${packet.username ?? "anonymous"}/${packet.clientId}`;
      done(null, true);
    },

    authenticate(client, username, password, done) {
      const address = clientAddress(client);
      const blocked = throttle.blockedFor(address);
      if (blocked > 0) {
        // Refused before the password is hashed: a guessing run costs no scrypt.
        logger.warn(
          { device: username, address, retryAfterSeconds: retryAfterSeconds(blocked) },
          "MQTT login refused: too many failed logins from this address",
        );
        done(authError(NOT_AUTHORIZED, "too many failed logins from this address; try again later"), false);
        return;
      }
      if (rejectedIdentifiers.has(client)) {
        done(
          authError(
            IDENTIFIER_REJECTED,
            "an empty client id needs CleanSession=1; send a client id to keep a session",
          ),
          false,
        );
        return;
      }
      const refusal = options.refusal();
      if (refusal) {
        done(authError(SERVER_UNAVAILABLE, refusal.message), false);
        return;
      }
      if (username === undefined || username === "") {
        if (!options.allowAnonymous) {
          logger.warn({ clientId: client.id }, "anonymous MQTT connection refused; devices must log in");
          done(authError(NOT_AUTHORIZED, "anonymous access is off (PLANTLINK_ALLOW_ANONYMOUS)"), false);
          return;
        }
        identities.set(client, { kind: "anonymous" });
        done(null, true);
        return;
      }
      const device = registry.device(username);
      // Verify against a dummy hash for unknown or disabled devices too, so timing reveals nothing.
      const hash = device?.enabled ? device.passwordHash : UNKNOWN_DEVICE_HASH;
      verified
        .verify(password?.toString("utf8") ?? "", hash)
        .then((ok) => {
          if (ok && device?.enabled) {
            throttle.success(address);
            identities.set(client, { kind: "device", id: device.id });
            done(null, true);
            return;
          }
          const why = !device ? "unknown device" : !device.enabled ? "device disabled" : "wrong password";
          const blockedFor = throttle.failure(address);
          logger.warn(
            {
              device: username,
              why,
              address,
              ...(blockedFor > 0 ? { blockedSeconds: retryAfterSeconds(blockedFor) } : {}),
            },
            "MQTT login refused",
          );
          done(authError(BAD_USERNAME_OR_PASSWORD, "bad user name or password"), false);
        })
        .catch((error: unknown) => {
          logger.error({ err: error, device: username }, "password check failed");
          done(authError(SERVER_UNAVAILABLE, "password check failed"), false);
        });
    },

    authorizeSubscribe(client, subscription, done) {
      const allowed =
        options.allowSubscribe &&
        identities.has(client) &&
        (subscription.topic === `${READINGS_TOPIC_PREFIX}#` ||
          subscription.topic.startsWith(READINGS_TOPIC_PREFIX));
      // null = refused in the SUBACK (0x80); the connection stays up.
      done(null, allowed ? subscription : null);
    },

    identity: (client) => (client ? identities.get(client) : undefined),

    sweepDisabled(clients) {
      let closed = 0;
      for (const client of clients) {
        const who = identities.get(client);
        if (who?.kind !== "device") continue;
        if (registry.device(who.id)?.enabled) continue;
        logger.warn({ device: who.id }, "closing the connection of a disabled device");
        client.close();
        closed += 1;
      }
      return closed;
    },
  };
}
