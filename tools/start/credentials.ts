/**
 * What `pnpm start` creates once and must remember: the tokens central issued, the demo device's
 * password, and where everything listens. Central keeps only hashes of its tokens, so this
 * file (owner-only, under the data directory) is the only place a second start can find them again.
 * `pnpm simulate` reads it too, so it finds the system `pnpm start` runs without any flags.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";

export const credentialsSchema = z.object({
  version: z.literal(1),
  edgeId: z.string(),
  tokens: z.object({
    /** Shown once by central on a fresh install; absent if the database was made by something else. */
    admin: z.string().optional(),
    viewer: z.string(),
    ingest: z.string(),
    vendor: z.string(),
    /** Bound to `edgeId`: a new edge id needs a new token. */
    edge: z.string(),
  }),
  device: z.object({ id: z.string(), password: z.string() }),
  /** Loaded up to here by `--demo`, so the next demo start only fills the time it was stopped. */
  demoHistoryUntil: z.number().optional(),
  /** Addresses of the last start (ports may change between starts through the environment). */
  addresses: z.object({
    centralUrl: z.string(),
    caFile: z.string(),
    mqttUrl: z.string(),
    edgeHttpUrl: z.string(),
    edgeDataDir: z.string(),
  }),
});

export type StartCredentials = z.infer<typeof credentialsSchema>;

export const credentialsFile = (dataDir: string) => join(dataDir, "start", "credentials.json");

/** The remembered credentials, or undefined on a first start (or when the file is unusable). */
export async function readCredentials(dataDir: string): Promise<StartCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(credentialsFile(dataDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = credentialsSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function writeCredentials(dataDir: string, credentials: StartCredentials): Promise<void> {
  const file = credentialsFile(dataDir);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Write then rename, so an interrupted start never leaves a half-written file and loses the tokens.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}
