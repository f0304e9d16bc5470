/** What the harness's globalSetup hands to every test file (vitest provide/inject). */

export interface TestDatabaseContext {
  /** URL of the server's maintenance database, as a superuser that may create databases. */
  adminUrl: string;
  /** The migrated database each test file's database is cloned from. */
  template: string;
  /** Prefix of every database this run creates, so teardown can find leftovers. */
  runId: string;
  /** A scratch directory for this run, deleted at teardown. */
  runDir: string;
  /** The server this run started; null when TEST_DATABASE_URL named an existing one. */
  server: { pid: number; dataDir: string } | null;
}

declare module "vitest" {
  export interface ProvidedContext {
    testDatabase: TestDatabaseContext;
  }
}
