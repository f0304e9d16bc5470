/**
 * vitest globalSetup for central: one PostgreSQL server for the whole run and a migrated template
 * database that each test file clones (test-database.ts). Set TEST_DATABASE_URL to use an existing
 * server instead; then only databases named after this run are created, and dropped at the end.
 */
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { connectDatabase } from "../../src/db/connect.ts";
import { migrate } from "../../src/db/migrate.ts";
import type { TestDatabaseContext } from "./provided.ts";
import { databaseUrl, dropRunDatabases } from "./test-database.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The harness's one configuration input; tests read nothing else from the environment.
  const server = await startTestServer(process.env.TEST_DATABASE_URL || undefined);
  const runId = `plt_${process.pid}_${randomBytes(3).toString("hex")}`;
  const removeHandlers = cleanUpOnInterrupt(server);

  const teardown = async () => {
    removeHandlers();
    try {
      if (!server.server) await dropRunDatabases(server.adminUrl, runId);
    } finally {
      await server.stop();
    }
  };

  try {
    const template = `${runId}_template`;
    const admin = connectDatabase(server.adminUrl, { max: 1 });
    try {
      await admin.unsafe(`create database "${template}"`);
    } finally {
      await admin.end();
    }
    const sql = connectDatabase(databaseUrl(server.adminUrl, template), { max: 2 });
    try {
      await migrate(sql);
    } finally {
      // CREATE DATABASE ... TEMPLATE refuses a template that has open connections.
      await sql.end();
    }
    const context: TestDatabaseContext = {
      adminUrl: server.adminUrl,
      template,
      runId,
      runDir: server.runDir,
      server: server.server,
    };
    project.provide("testDatabase", context);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/**
 * On SIGINT/SIGTERM vitest exits at once without running globalSetup teardowns, so the server is
 * stopped here, synchronously, before that exit. Process exit by any other path gets the same.
 */
function cleanUpOnInterrupt(server: TestServer): () => void {
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const onExit = () => server.stopNow();
  const onSignal = (signal: NodeJS.Signals) => {
    server.stopNow();
    // Let vitest's own handler exit as it planned; if no one does, die of the signal as we would have.
    setTimeout(() => process.kill(process.pid, signal), 100).unref();
  };
  for (const signal of signals) process.once(signal, onSignal);
  process.once("exit", onExit);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
    process.off("exit", onExit);
  };
}
