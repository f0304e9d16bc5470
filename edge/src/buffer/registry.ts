/**
 * The device and gateway registry, in the buffer file. Read on every CONNECT and HTTP request (gateway
 * tokens through http/gateway-lookups.ts, once per turn of the event loop), so a `pnpm edge device add`
 * or `gateway revoke` in another process takes effect without a restart.
 */
import { equipmentIdProblem } from "@plantlink/shared";
import { RegistryError } from "../errors.ts";
import type { Db } from "./database.ts";

export interface Device {
  id: string;
  passwordHash: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface Gateway {
  name: string;
  enabled: boolean;
  createdAt: number;
}

export interface Registry {
  device(id: string): Device | undefined;
  devices(): Device[];
  /** Adds a device; with `replace`, an existing device gets the new password and is enabled. */
  addDevice(id: string, passwordHash: string, at: number, options?: { replace?: boolean }): void;
  setDeviceEnabled(id: string, enabled: boolean, at: number): void;
  /** The gateway holding a token with this hash, if it is enabled. */
  gatewayByTokenHash(tokenHash: string): Gateway | undefined;
  gateways(): Gateway[];
  addGateway(name: string, tokenHash: string, at: number): void;
  revokeGateway(name: string): void;
  /** Writes made through this registry so far: a cache of its reads forgets them when this moves. */
  writes(): number;
}

interface DeviceRow {
  id: string;
  password_hash: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

interface GatewayRow {
  name: string;
  enabled: number;
  created_at: number;
}

const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  passwordHash: r.password_hash,
  enabled: r.enabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toGateway = (r: GatewayRow): Gateway => ({
  name: r.name,
  enabled: r.enabled === 1,
  createdAt: r.created_at,
});

/** Device ids are equipment ids: a device publishes to readings/<its id>. */
export function deviceIdProblem(id: string): string | undefined {
  const problem = equipmentIdProblem(id);
  return problem === undefined ? undefined : problem.replace(/^equipmentId/, "device id");
}

export function createRegistry(db: Db): Registry {
  const getDevice = db.prepare("SELECT * FROM devices WHERE id = ?");
  const allDevices = db.prepare("SELECT * FROM devices ORDER BY id");
  const insertDevice = db.prepare(
    "INSERT INTO devices (id, password_hash, enabled, created_at, updated_at) VALUES (?, ?, 1, ?, ?)",
  );
  const replaceDevice = db.prepare(
    `INSERT INTO devices (id, password_hash, enabled, created_at, updated_at) VALUES (?, ?, 1, ?, ?)
     ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash, enabled = 1, updated_at = excluded.updated_at`,
  );
  const enableDevice = db.prepare("UPDATE devices SET enabled = ?, updated_at = ? WHERE id = ?");
  const gatewayByHash = db.prepare(
    "SELECT name, enabled, created_at FROM gateways WHERE token_hash = ? AND enabled = 1",
  );
  const allGateways = db.prepare("SELECT name, enabled, created_at FROM gateways ORDER BY name");
  const getGateway = db.prepare("SELECT name FROM gateways WHERE name = ?");
  const insertGateway = db.prepare(
    "INSERT INTO gateways (name, token_hash, enabled, created_at) VALUES (?, ?, 1, ?)",
  );
  const deleteGateway = db.prepare("DELETE FROM gateways WHERE name = ?");
  let writes = 0;

  return {
    device(id) {
      const row = getDevice.get(id) as DeviceRow | undefined;
      return row ? toDevice(row) : undefined;
    },
    devices: () => (allDevices.all() as DeviceRow[]).map(toDevice),
    addDevice(id, passwordHash, at, options = {}) {
      const problem = deviceIdProblem(id);
      if (problem) throw new RegistryError("invalid_name", problem);
      if (options.replace) {
        replaceDevice.run(id, passwordHash, at, at);
        writes++;
        return;
      }
      if (getDevice.get(id)) {
        throw new RegistryError(
          "device_exists",
          `device ${id} is already registered; to give it a new password run: pnpm edge device passwd ${id}`,
        );
      }
      insertDevice.run(id, passwordHash, at, at);
      writes++;
    },
    setDeviceEnabled(id, enabled, at) {
      const changed = enableDevice.run(enabled ? 1 : 0, at, id).changes;
      writes++;
      if (changed === 0) {
        throw new RegistryError("device_unknown", `no device ${id}; list them with: pnpm edge device list`);
      }
    },
    gatewayByTokenHash(tokenHash) {
      const row = gatewayByHash.get(tokenHash) as GatewayRow | undefined;
      return row ? toGateway(row) : undefined;
    },
    gateways: () => (allGateways.all() as GatewayRow[]).map(toGateway),
    addGateway(name, tokenHash, at) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(name)) {
        throw new RegistryError(
          "invalid_name",
          `gateway name "${name}" must be 1-64 of A-Z a-z 0-9 . _ : -, starting with a letter or digit`,
        );
      }
      if (getGateway.get(name)) {
        throw new RegistryError(
          "gateway_exists",
          `gateway ${name} exists; revoke it first (pnpm edge gateway revoke ${name}) to issue a new token`,
        );
      }
      insertGateway.run(name, tokenHash, at);
      writes++;
    },
    revokeGateway(name) {
      const deleted = deleteGateway.run(name).changes;
      writes++;
      if (deleted === 0) {
        throw new RegistryError(
          "gateway_unknown",
          `no gateway ${name}; list them with: pnpm edge gateway list`,
        );
      }
    },
    writes: () => writes,
  };
}
