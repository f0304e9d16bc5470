/**
 * Text a database column holds exactly. PostgreSQL's text cannot hold NUL (error 22021, which became a
 * 500), and an unpaired UTF-16 surrogate has no UTF-8 form: the driver would store U+FFFD instead, so
 * two different batch ids could become one and the second batch be answered as a replay of the first.
 * Every piece of user text that reaches SQL is checked with this where it enters.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this looks for.
const UNSTORABLE = /\u0000|\p{Cs}/u;

/** Why `text` cannot be stored as `field`, or undefined when it can. */
export function storedTextProblem(field: string, text: string): string | undefined {
  const found = UNSTORABLE.exec(text);
  if (!found) return undefined;
  const what = found[0] === "\u0000" ? "a NUL character" : "an unpaired UTF-16 surrogate";
  return `${field} contains ${JSON.stringify(found[0])} (${what}) at position ${found.index + 1}, which plantlink cannot store; remove it`;
}
