/**
 * Accept-Encoding is read as RFC 9110 §12.5.3 says: members split on commas, names case-insensitive,
 * `q=0` refuses, `*` stands for anything not named, and identity wins a tie it is preferred in.
 */
import { describe, expect, it } from "vitest";
import { negotiateEncoding } from "../../src/http/accept-encoding.ts";

describe("Accept-Encoding negotiation", () => {
  it.each([
    "gzip",
    "gzip, deflate, br, zstd",
    "br;q=1.0, gzip;q=0.8, *;q=0.1",
    " GZip ",
    "x-gzip",
    "*",
    "*;q=0.5",
    "deflate, gzip;q=0.001",
    "gzip;Q=1",
  ])("sends gzip for %j", (header) => {
    expect(negotiateEncoding(header)).toBe("gzip");
  });

  it.each([
    undefined,
    "",
    "identity",
    "gzip;q=0",
    "gzip; q=0.000",
    "x-gzip;q=0",
    "*;q=0",
    "*, gzip;q=0",
    "deflate, br",
    "gzip;q=0.5, identity",
    "gzip;q=2",
    "gzip;q=abc",
    "gzipped",
  ])("sends identity for %j", (header) => {
    expect(negotiateEncoding(header)).toBe("identity");
  });
});
