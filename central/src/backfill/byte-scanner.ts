/**
 * What the CSV record reader does not tell us about the bytes of an upload: whether they are text at
 * all, where each line ends (so a report can say how many bytes were committed), and which lines hold
 * bytes that are not UTF-8. It sits between the socket and the reader (csv-records.ts), sees every
 * byte once, and keeps only what the pipeline has not consumed yet.
 *
 * Lines are counted by `\n` (a CRLF file has the same line numbers as an editor shows); the backfill
 * consumer counts lines the same way from the records, so both agree on every line number.
 */
import { isUtf8 } from "node:buffer";
import { NotCsvError } from "./errors.ts";
import { describeUtf8Fault, findUtf8Faults, unfinishedTail } from "./utf8.ts";

const EXPORT = "export the data as CSV UTF-8 and upload that";
const NEWLINE = 0x0a;
// Enough to recognise every signature below, and small enough that a 1-byte first chunk is no bother.
const SNIFF_BYTES = 8;
const BINARY_WINDOW = 4096;

const startsWith = (buf: Uint8Array, ...bytes: number[]) => bytes.every((b, i) => buf[i] === b);

/** Says what a file that is not CSV text is, from its first bytes, and what to send instead. */
function sniff(head: Uint8Array): string | undefined {
  if (startsWith(head, 0xff, 0xfe) || startsWith(head, 0xfe, 0xff)) {
    return "the file is UTF-16 text; save it as UTF-8 (in Excel: Save As, CSV UTF-8) and upload that";
  }
  if (startsWith(head, 0x50, 0x4b, 0x03, 0x04)) {
    return `the file is a ZIP archive, such as an Excel .xlsx workbook, not CSV text; ${EXPORT}`;
  }
  if (startsWith(head, 0xd0, 0xcf, 0x11, 0xe0))
    return `the file is an Excel .xls workbook, not CSV text; ${EXPORT}`;
  if (startsWith(head, 0x1f, 0x8b)) {
    return "the file is gzip-compressed; send it with the header Content-Encoding: gzip, or uncompressed";
  }
  if (startsWith(head, 0x25, 0x50, 0x44, 0x46)) return `the file is a PDF document, not CSV text; ${EXPORT}`;
  if (head.subarray(0, BINARY_WINDOW).includes(0)) {
    return `the file holds binary data (NUL bytes), not CSV text; ${EXPORT}`;
  }
  return undefined;
}

interface LineFault {
  line: number;
  reason: string;
}

export class CsvByteScanner {
  /** File bytes seen so far, BOM included. */
  bytes = 0;
  /** Whether the file began with a UTF-8 byte order mark (removed before parsing). */
  hadBom = false;

  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private sniffed = false;
  private carry: Uint8Array = new Uint8Array(0);
  /** Offsets of the `\n` ending line `firstLine`, `firstLine + 1`, … not yet asked for. */
  private newlines: number[] = [];
  private head = 0;
  private firstLine = 1;
  private newlinesSeen = 0;
  /** Offset of the last `\n` seen, -1 before the first: where the open line started, for columns. */
  private lastNewline = -1;
  private faults: LineFault[] = [];
  private faultHead = 0;

  /** Takes the next chunk of the file; returns the bytes to hand to the CSV parser (maybe none yet). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length === 0) return [];
    if (this.sniffed) return [this.scan(chunk, false)];
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    return this.heldBytes >= SNIFF_BYTES ? this.release(false) : [];
  }

  /** The end of the file: releases what is held and judges a sequence the file ends in the middle of. */
  end(): Uint8Array[] {
    const out = this.sniffed ? [] : this.release(true);
    if (this.carry.length > 0) out.push(this.scan(new Uint8Array(0), true));
    return out;
  }

  /** Lines received whole, with their newline. */
  get completeLines(): number {
    return this.newlinesSeen;
  }

  /** The number of the file's last line, once the whole file has been pushed. */
  get lastLine(): number {
    return this.newlinesSeen + (this.bytes > this.lastNewline + 1 ? 1 : 0);
  }

  /** The byte offset just past line `line` (past its `\n`, or the end of the file for a last line without one). */
  lineEnd(line: number): number {
    while (this.firstLine < line && this.head < this.newlines.length) {
      this.head += 1;
      this.firstLine += 1;
    }
    if (this.head > 65_536) {
      this.newlines = this.newlines.slice(this.head);
      this.head = 0;
    }
    const offset = this.firstLine === line ? this.newlines[this.head] : undefined;
    return offset === undefined ? this.bytes : offset + 1;
  }

  /** Why lines `first`..`last` cannot be read, if one of them holds bytes that are not UTF-8. */
  faultIn(first: number, last: number): string | undefined {
    const faults = this.faults;
    while (this.faultHead < faults.length && (faults[this.faultHead]?.line ?? 0) < first) this.faultHead += 1;
    const fault = faults[this.faultHead];
    if (!fault || fault.line > last) return undefined;
    while (this.faultHead < faults.length && (faults[this.faultHead]?.line ?? 0) <= last) this.faultHead += 1;
    if (this.faultHead === faults.length) {
      this.faults = [];
      this.faultHead = 0;
    }
    return fault.reason;
  }

  private release(final: boolean): Uint8Array[] {
    this.sniffed = true;
    let all = this.held.length === 1 ? (this.held[0] as Uint8Array) : Buffer.concat(this.held);
    this.held = [];
    const what = sniff(all);
    if (what) {
      this.bytes += all.length;
      throw new NotCsvError(what);
    }
    if (startsWith(all, 0xef, 0xbb, 0xbf)) {
      this.hadBom = true;
      this.bytes += 3;
      all = all.subarray(3);
    }
    return all.length > 0 || final ? [this.scan(all, final)] : [];
  }

  /** Indexes the newlines and UTF-8 faults of `chunk`, which starts at file offset `this.bytes`. */
  private scan(chunk: Uint8Array, final: boolean): Uint8Array {
    const base = this.bytes;
    const before = this.newlinesSeen;
    const firstNewline = this.newlines.length;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) {
      this.newlines.push(base + at);
    }
    this.newlinesSeen += this.newlines.length - firstNewline;
    const previousNewline = this.lastNewline;
    this.lastNewline = this.newlines.at(-1) ?? this.lastNewline;
    this.bytes += chunk.length;

    // A character split across chunks is checked once both halves are here.
    const region = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const regionBase = base - this.carry.length;
    const checked = final ? region.length : region.length - unfinishedTail(region);
    if (!isUtf8(region.subarray(0, checked))) {
      findUtf8Faults(region, 0, checked, (fault) => {
        const offset = regionBase + fault.offset;
        // Carried bytes are never newlines, so only this chunk's newlines can fall between.
        let count = before;
        let lineStart = previousNewline + 1;
        for (let k = firstNewline; k < this.newlines.length; k++) {
          const nl = this.newlines[k] ?? 0;
          if (nl >= offset) break;
          count += 1;
          lineStart = nl + 1;
        }
        this.addFault(count + 1, describeUtf8Fault(fault.bytes, offset - lineStart + 1));
      });
    }
    this.carry = region.slice(checked);
    return chunk;
  }

  private addFault(line: number, reason: string): void {
    // One reason per line is enough to act on; a Latin-1 file would otherwise list every accent.
    if (this.faults.at(-1)?.line === line) return;
    this.faults.push({ line, reason });
  }
}
