/**
 * The dashboard at `/`: sign-in and sign-out, the pages, and their static files. It reads nothing
 * the API does not also serve; its pages call `/v1` with the session cookie (see session.ts).
 */
import type { LoginLimit } from "../auth/login-limit.ts";
import type { TokenStore } from "../auth/tokens.ts";
import type { CentralApp } from "../http/route.ts";
import { type Assets, createAssets } from "./assets.ts";
import { registerPages } from "./pages.ts";
import type { Sessions } from "./session.ts";
import { registerSignIn } from "./sign-in.ts";

export interface DashboardParts {
  tokens: TokenStore;
  sessions: Sessions;
  logins: LoginLimit;
  /** Defaults to the files under assets/ plus uPlot. */
  assets?: Assets;
}

export function registerDashboard(app: CentralApp, parts: DashboardParts): void {
  const assets = parts.assets ?? createAssets();
  app.get("/assets/*", (c) => assets.serve(c, c.req.path.slice("/assets/".length)));
  registerSignIn(app, parts.tokens, parts.sessions, parts.logins);
  registerPages(app, parts.sessions);
}
