/**
 * Finding bytes that are not UTF-8, and where. `TextDecoder` either replaces them silently with U+FFFD
 * or throws without a position; a vendor needs the line and the byte to fix the file, so the rare
 * chunk that fails Node's native `isUtf8` check is walked here byte by byte. The sequences reported
 * are the WHATWG decoder's (each maximal invalid subpart is one fault), which is where a decoder
 * would put each U+FFFD.
 */

export interface Utf8Fault {
  /** Offset of the first bad byte in the buffer given. */
  offset: number;
  /** The bad bytes (1 to 3 of them). */
  bytes: Uint8Array;
}

/** The accepted range of a sequence's second byte, by lead byte; later bytes are always 80..BF. */
function secondByteRange(lead: number): [number, number] {
  if (lead === 0xe0) return [0xa0, 0xbf]; // no overlong 3-byte forms
  if (lead === 0xed) return [0x80, 0x9f]; // no UTF-16 surrogates
  if (lead === 0xf0) return [0x90, 0xbf]; // no overlong 4-byte forms
  if (lead === 0xf4) return [0x80, 0x8f]; // nothing above U+10FFFF
  return [0x80, 0xbf];
}

/** How many bytes a sequence starting with `lead` has; 0 when `lead` cannot start one. */
export function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * Calls `onFault` for each invalid sequence in `buf[from, to)`. A sequence cut off by `to` is a fault
 * too: callers keep an unfinished trailing sequence back (see `unfinishedTail`) until the next chunk.
 */
export function findUtf8Faults(
  buf: Uint8Array,
  from: number,
  to: number,
  onFault: (fault: Utf8Fault) => void,
): void {
  let i = from;
  while (i < to) {
    const lead = buf[i] ?? 0;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const length = sequenceLength(lead);
    if (length === 0) {
      onFault({ offset: i, bytes: buf.subarray(i, i + 1) });
      i += 1;
      continue;
    }
    // Count how many bytes of the sequence are acceptable; a short count is the maximal subpart.
    let good = 1;
    const [low, high] = secondByteRange(lead);
    while (good < length && i + good < to) {
      const byte = buf[i + good] ?? 0;
      const [min, max] = good === 1 ? [low, high] : [0x80, 0xbf];
      if (byte < min || byte > max) break;
      good += 1;
    }
    if (good === length) {
      i += length;
      continue;
    }
    onFault({ offset: i, bytes: buf.subarray(i, i + good) });
    i += good;
  }
}

/**
 * How many bytes at the end of `buf` are the start of a sequence that continues in the next chunk
 * (0 to 3). Only a plausible start is held back; anything else is judged where it is.
 */
export function unfinishedTail(buf: Uint8Array): number {
  const end = buf.length;
  for (let back = 1; back <= Math.min(3, end); back++) {
    const byte = buf[end - back] ?? 0;
    if (byte >= 0x80 && byte < 0xc0) continue; // a continuation byte: keep looking for its lead
    const length = sequenceLength(byte);
    return length > back ? back : 0;
  }
  return 0;
}

const hex = (byte: number) => `0x${byte.toString(16).toUpperCase().padStart(2, "0")}`;

/** The reason given for a line holding a fault: what the bytes are, where, and what to do. */
export function describeUtf8Fault(bytes: Uint8Array, column: number): string {
  const shown = Array.from(bytes, hex).join(" ");
  const what = bytes.length === 1 ? `byte ${shown}` : `bytes ${shown}`;
  // A lone byte above 0x7F is the classic sign of a Latin-1 or Windows-1252 export.
  const hint = bytes.length === 1 ? " (the file looks like Latin-1 or Windows-1252)" : "";
  return `the line is not valid UTF-8: ${what} at byte ${column} of the line; save the file as UTF-8${hint}`;
}
