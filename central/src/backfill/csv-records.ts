/**
 * Splits the text of a CSV file into records, with the line each starts and ends on. RFC 4180 as
 * vendors' files bend it: `,` between fields, `\n` or `\r\n` between records, a field that starts
 * with `"` is quoted (it may hold `,` and line breaks, and `""` is a quote), a quote anywhere else is
 * an ordinary character.
 *
 * Written for bounded work per byte, which is why it is ours and not csv-parse: csv-parse builds an
 * Error (a stack trace and a JSON copy of its options) for every record whose field count differs
 * from the first one, even when told to let it pass, so each empty line or short row of an upload
 * cost 30-50 µs, and a small gzip body of empty lines held the process for minutes. Here every
 * character is looked at once, an empty line costs a comparison, a record costs its fields, and
 * nothing is thrown: what cannot be read is handed back as a value.
 *
 * It never holds more than the record being read plus the text pushed and not read yet.
 */

export interface CsvRecord {
  kind: "record";
  fields: string[];
  /** The line the record starts on and the one it ends on (they differ when a quoted field spans lines). */
  firstLine: number;
  lastLine: number;
}

/** A quoted field the file ends inside: every line from `firstLine` on was one unfinished field. */
export interface CsvQuoteNotClosed {
  kind: "quote_not_closed";
  firstLine: number;
}

/** A record longer than the limit: an unclosed quote, or lines ending in a lone CR. Nothing after it can be read. */
export interface CsvRecordTooLong {
  kind: "too_long";
  firstLine: number;
}

export type CsvItem = CsvRecord | CsvQuoteNotClosed | CsvRecordTooLong;

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** Where the reader is inside the record it is reading: */
/** at the start of a field (and of the record, when no field is read yet); */
const FIELD_START = 0;
/** in a field that did not start with a quote, which ends at `,` or the end of the line; */
const UNQUOTED = 1;
/** inside a quoted field; */
const QUOTED = 2;
/** past a quoted field's closing quote, where anything before the next `,` makes the quotes ordinary. */
const AFTER_QUOTE = 3;
type State = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED | typeof AFTER_QUOTE;

export class CsvRecordReader {
  /** Records built so far (empty lines are skipped before they become one). */
  recordsBuilt = 0;
  /** Lines of the file passed so far, skipped empty lines included. */
  line = 0;

  private text = "";
  /** Where the record being read starts in `text`, and where reading goes on from. */
  private recordStart = 0;
  private at = 0;
  private state: State = FIELD_START;
  private fields: string[] = [];
  /** The current field's start (its opening quote when quoted), and for a quoted one: */
  private fieldStart = 0;
  private quotedEnd = 0;
  private escapedQuote = false;
  /** Line breaks inside the record's quoted fields so far. */
  private breaks = 0;
  private ended = false;
  private stopped = false;

  constructor(private readonly maxRecordChars: number) {}

  /** Adds the next piece of the file's text; read what it completes with next(). */
  push(text: string): void {
    if (text.length === 0) return;
    if (this.recordStart > 0) {
      // Drop what is read; the positions kept are moved with it.
      const shift = this.recordStart;
      this.text = this.text.slice(shift) + text;
      this.recordStart = 0;
      this.at -= shift;
      this.fieldStart -= shift;
      this.quotedEnd -= shift;
    } else {
      this.text += text;
    }
  }

  /** The file has no more text: the last record needs no line break, and an open quote is final. */
  end(): void {
    this.ended = true;
  }

  /** The next record or problem the text pushed so far completes; undefined when it needs more text. */
  next(): CsvItem | undefined {
    if (this.stopped) return undefined;
    const text = this.text;
    const length = text.length;
    let at = this.at;
    while (at < length) {
      const c = text.charCodeAt(at);
      switch (this.state) {
        case FIELD_START:
          if (this.fields.length === 0) {
            // An empty line is skipped here, before it costs a record.
            if (c === LF) {
              at += 1;
              this.skipLine(at);
              continue;
            }
            if (c === CR) {
              if (at + 1 === length && !this.ended) return this.wait(at);
              if (text.charCodeAt(at + 1) === LF) {
                at += 2;
                this.skipLine(at);
                continue;
              }
            }
          }
          this.fieldStart = at;
          if (c === QUOTE) {
            this.state = QUOTED;
            this.escapedQuote = false;
            at += 1;
          } else if (c === COMMA) {
            this.fields.push("");
            at += 1;
          } else if (c === LF) {
            this.fields.push("");
            return this.emit(at + 1);
          } else {
            this.state = UNQUOTED;
            at += 1;
          }
          continue;
        case UNQUOTED:
        case AFTER_QUOTE: {
          // The field runs to the next `,` or line break; find whichever comes first in one pass.
          let end = at;
          let d = c;
          while (d !== COMMA && d !== LF) {
            end += 1;
            if (end === length) break;
            d = text.charCodeAt(end);
          }
          if (end === length) {
            at = end;
            continue;
          }
          this.fields.push(this.fieldEndingAt(end, d === LF));
          this.state = FIELD_START;
          if (d === LF) return this.emit(end + 1);
          at = end + 1;
          continue;
        }
        case QUOTED: {
          // To the next quote, counting the line breaks on the way (the record's last line depends on them).
          let quote = at;
          let d = c;
          while (d !== QUOTE) {
            if (d === LF) this.breaks += 1;
            quote += 1;
            if (quote === length) break;
            d = text.charCodeAt(quote);
          }
          if (quote === length) {
            at = length;
            continue;
          }
          // `""` is a quote inside the field; a lone `"` closes it. Undecidable until the next character.
          if (quote + 1 === length && !this.ended) return this.wait(quote);
          if (text.charCodeAt(quote + 1) === QUOTE) {
            this.escapedQuote = true;
            at = quote + 2;
            continue;
          }
          this.quotedEnd = quote;
          this.state = AFTER_QUOTE;
          at = quote + 1;
          if (at === length) continue;
          const after = text.charCodeAt(at);
          if (after === COMMA || after === LF) {
            this.fields.push(this.fieldEndingAt(at, after === LF));
            this.state = FIELD_START;
            if (after === LF) return this.emit(at + 1);
            at += 1;
          }
          continue;
        }
      }
    }
    // All the text is read.
    if (!this.ended) return this.wait(at);
    this.stopped = true;
    if (this.state === QUOTED) return { kind: "quote_not_closed", firstLine: this.line + 1 };
    // The file ends with a line break (or is empty): no last record.
    if (this.state === FIELD_START && this.fields.length === 0) return undefined;
    this.fields.push(this.state === FIELD_START ? "" : this.fieldEndingAt(at, false));
    return this.emit(at);
  }

  /** Pauses at `at` until more text comes; a record that grows past the limit is refused. */
  private wait(at: number): CsvItem | undefined {
    this.at = at;
    if (at - this.recordStart > this.maxRecordChars) {
      this.stopped = true;
      return { kind: "too_long", firstLine: this.line + 1 };
    }
    return undefined;
  }

  private skipLine(next: number): void {
    this.line += 1;
    this.recordStart = next;
    this.at = next;
  }

  private endsInCr(lf: number): boolean {
    return lf > this.fieldStart && this.text.charCodeAt(lf - 1) === CR;
  }

  /** The current field's text, the field ending just before `end` (a `,` or a line break). */
  private fieldEndingAt(end: number, atLineBreak: boolean): string {
    // A CRLF ending's CR belongs to the line break, not to the field.
    const stop = atLineBreak && this.endsInCr(end) ? end - 1 : end;
    if (this.state === UNQUOTED) return this.text.slice(this.fieldStart, stop);
    let value = this.text.slice(this.fieldStart + 1, this.quotedEnd);
    if (this.escapedQuote) value = value.replaceAll('""', '"');
    if (stop === this.quotedEnd + 1) return value;
    // Text after the closing quote makes the quotes ordinary characters (as csv-parse's relax_quotes
    // did): `"12"3` is read as it is written, not as 123.
    return `"${value}"${this.text.slice(this.quotedEnd + 1, stop)}`;
  }

  /** Hands out the record that ends just before `next`, after its line break if it has one. */
  private emit(next: number): CsvItem | undefined {
    if (next - this.recordStart > this.maxRecordChars + 2) {
      this.stopped = true;
      return { kind: "too_long", firstLine: this.line + 1 };
    }
    const firstLine = this.line + 1;
    const lastLine = firstLine + this.breaks;
    const record: CsvRecord = { kind: "record", fields: this.fields, firstLine, lastLine };
    this.recordsBuilt += 1;
    this.line = lastLine;
    this.fields = [];
    this.breaks = 0;
    this.state = FIELD_START;
    this.recordStart = next;
    this.at = next;
    return record;
  }
}
