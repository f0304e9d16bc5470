/**
 * Signing in and out of the dashboard. Signing in proves an API token once (a plain form, so it works
 * before any script loads) and swaps it for the session cookie of session.ts; the token itself is
 * never stored in the browser. Both forms are same-origin only: a forged sign-in would put a victim
 * in the attacker's session, a forged sign-out is a nuisance.
 */
import { retryAfterSeconds } from "@plantlink/shared";
import { bodyLimit } from "hono/body-limit";
import type { LoginLimit } from "../auth/login-limit.ts";
import type { TokenStore } from "../auth/tokens.ts";
import type { CentralApp } from "../http/route.ts";
import { html } from "./html.ts";
import { page, securityHeaders } from "./layout.ts";
import { isSameOrigin, SESSION_ROLES, type Sessions } from "./session.ts";

const BASE = new URL("http://plantlink.invalid");
// Control characters (browsers drop tab, CR and LF from URLs, so `/\t/host` becomes `//host`; CR LF in
// a header throws), and the backslash that browsers read as a slash.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
const UNSAFE = /[\u0000-\u001f\u007f\\]/;

/**
 * Only a path of this site may follow sign-in, or `/`. The value must start with a single `/`, hold no
 * control character or backslash before or after percent-decoding, and resolve against a base to the
 * same origin; what is returned is the URL's own serialisation, so dot segments that would collapse
 * to `//host` are caught too.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//")) return "/";
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return "/";
  }
  if (UNSAFE.test(value) || UNSAFE.test(decoded) || decoded.startsWith("//")) return "/";
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return "/";
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (url.origin !== BASE.origin || path.startsWith("//") || url.pathname.startsWith("/sign-")) return "/";
  return path;
}

function signInPage(next: string, message?: { kind: "error" | "info"; text: string }) {
  return page({
    title: "Sign in",
    section: undefined,
    principal: undefined,
    body: html`<section class="sign-in panel">
  <h1>Sign in</h1>
  <p>Paste an API token: a <b>viewer</b> token to read the dashboard, a <b>vendor</b> token to upload backfills,
  or an <b>admin</b> token. An admin creates one with
  <code>pnpm central token create --role viewer --name "your name"</code>.</p>
  ${message ? html`<p class="${message.kind}" role="${message.kind === "error" ? "alert" : "status"}">${message.text}</p>` : ""}
  <form method="post" action="/sign-in">
    <label for="token">Token</label>
    <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required autofocus
      placeholder="plt_…">
    <input type="hidden" name="next" value="${next}">
    <button type="submit" class="primary">Sign in</button>
  </form>
  <p class="hint">The token is exchanged for a session cookie valid for 12 hours; it is not kept in the browser.</p>
</section>`,
  });
}

export function registerSignIn(
  app: CentralApp,
  tokens: TokenStore,
  sessions: Sessions,
  logins: LoginLimit,
): void {
  const { throttle } = logins;
  app.get("/sign-in", async (c) => {
    securityHeaders(c);
    const next = safeNext(c.req.query("next"));
    // Already signed in (a bookmark, the back button): go where they were going.
    if (await sessions.authenticate(c)) return c.redirect(next, 303);
    const message =
      c.req.query("signed-out") !== undefined
        ? { kind: "info" as const, text: "You are signed out." }
        : undefined;
    return c.html(signInPage(next, message).text);
  });

  app.post("/sign-in", bodyLimit({ maxSize: 8192 }), async (c) => {
    securityHeaders(c);
    if (!isSameOrigin(c)) {
      return c.html(signInPage("/", { kind: "error", text: "Sign in from this site's own page." }).text, 403);
    }
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const token = typeof form.token === "string" ? form.token.trim() : "";
    // An address that failed too often is refused before its token is looked up.
    const address = logins.address(c);
    const blocked = throttle.blockedFor(address);
    if (blocked > 0) {
      const seconds = retryAfterSeconds(blocked);
      c.get("log").warn({ msg: "dashboard sign-in refused", reason: "too many failed logins", address });
      c.header("Retry-After", String(seconds));
      return c.html(
        signInPage(next, {
          kind: "error",
          text: `Too many failed sign-ins from this address. Try again in ${seconds} seconds.`,
        }).text,
        429,
      );
    }
    const principal = token ? await tokens.authenticate(token) : undefined;
    if (!principal) {
      throttle.failure(address);
      c.get("log").info({ msg: "dashboard sign-in refused", reason: "unknown token", address });
      return c.html(
        signInPage(next, {
          kind: "error",
          text: "That token is unknown or revoked. Check it, or ask an admin for one.",
        }).text,
        401,
      );
    }
    if (!SESSION_ROLES.includes(principal.role)) {
      c.get("log").info({
        msg: "dashboard sign-in refused",
        reason: "machine token",
        tokenId: principal.tokenId,
      });
      return c.html(
        signInPage(next, {
          kind: "error",
          text: `A ${principal.role} token is for a machine, not the dashboard; sign in with a viewer, vendor or admin token.`,
        }).text,
        403,
      );
    }
    throttle.success(address);
    await sessions.issue(c, principal);
    c.get("log").info({ msg: "dashboard sign-in", tokenId: principal.tokenId, role: principal.role });
    // A vendor can only use the backfill page; send them there rather than to an overview they cannot read.
    return c.redirect(principal.role === "vendor" && next === "/" ? "/backfill" : next, 303);
  });

  app.post("/sign-out", async (c) => {
    if (!isSameOrigin(c)) return c.text("sign out from the dashboard's own page", 403);
    sessions.clear(c);
    return c.redirect("/sign-in?signed-out", 303);
  });
}
