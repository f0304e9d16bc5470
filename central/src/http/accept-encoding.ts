/**
 * Which encoding a read answer goes out in, from the request's `Accept-Encoding` (RFC 9110 §12.5.3).
 * Only gzip is offered: every browser and BI client asks for it, and JSON of figures compresses
 * several times over. A client that says `gzip;q=0`, or sends no header at all (older scripts, curl
 * without --compressed), must get bytes it can read, so anything short of a clear yes is identity.
 */

export type AnswerEncoding = "gzip" | "identity";

/** RFC 9110 §12.4.2: `0` to `1` with at most three decimals. Anything else makes the member unusable. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** Each coding named in the header with its weight; members with an unreadable weight are left out. */
function weights(header: string): Map<string, number> {
  const named = new Map<string, number>();
  for (const member of header.split(",")) {
    const [name = "", ...params] = member.split(";").map((part) => part.trim());
    if (name === "") continue;
    const weight = params
      .map((param) => param.split("="))
      .find(([key = ""]) => key.trim().toLowerCase() === "q")?.[1]
      ?.trim();
    if (weight !== undefined && !QVALUE.test(weight)) continue;
    const q = weight === undefined ? 1 : Number(weight);
    const coding = name.toLowerCase();
    // A coding listed twice keeps its best weight: the client can read it either way.
    named.set(coding, Math.max(q, named.get(coding) ?? 0));
  }
  return named;
}

/**
 * gzip when the client accepts it (`gzip` or its alias `x-gzip`, else `*`, with a weight above 0) at
 * least as much as identity; identity otherwise, and always when the header is absent. A coding named
 * outranks `*`, so `*, gzip;q=0` refuses gzip.
 */
export function negotiateEncoding(header: string | undefined): AnswerEncoding {
  if (header === undefined) return "identity";
  const named = weights(header);
  const any = named.get("*");
  const explicitGzip = [named.get("gzip"), named.get("x-gzip")].filter((q) => q !== undefined);
  const gzip = explicitGzip.length > 0 ? Math.max(...explicitGzip) : (any ?? 0);
  // identity is acceptable unless refused by name or by `*;q=0` (§12.5.3). Unnamed, it ranks with the
  // least wanted coding the client did list (and loses the tie), so `deflate, gzip;q=0.1` still gets
  // gzip: a client's weights order the codings it names, not the fallback it did not mention.
  const listed = [...named.values()].filter((q) => q > 0);
  const identity = named.get("identity") ?? any ?? Math.min(1, ...listed);
  return gzip > 0 && gzip >= identity ? "gzip" : "identity";
}
