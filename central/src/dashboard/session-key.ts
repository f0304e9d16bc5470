/**
 * The key that signs dashboard session cookies, kept in a file in central's data directory, created on
 * first start. A file rather than an environment variable so a single-machine install needs no setup;
 * replicas behind one load balancer mount the same file (a shared secret volume) so each accepts the
 * sessions the others signed. Replacing the file signs everyone out, which is how to rotate it.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const SESSION_KEY_FILE = "session.key";

export async function loadSessionKey(dataDir: string): Promise<Buffer> {
  const file = join(dataDir, SESSION_KEY_FILE);
  const existing = await readKey(file);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true });
  try {
    // `wx`: two processes starting on one fresh directory must not each write a key and sign with
    // different ones; the loser of the race reads the winner's.
    await writeFile(file, `${randomBytes(32).toString("base64url")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  // The winner of a race may not have written its bytes yet when the loser first reads.
  for (let attempt = 0; attempt < 50; attempt++) {
    const created = await readKey(file);
    if (created) return created;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${file}: the session key file stays empty; delete it to make a new one`);
}

async function readKey(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (text.trim() === "") return undefined;
  const key = Buffer.from(text.trim(), "base64url");
  if (key.length < 32) {
    throw new Error(
      `${file}: expected at least 32 random bytes, base64url-encoded; delete it to make a new one`,
    );
  }
  return key;
}
