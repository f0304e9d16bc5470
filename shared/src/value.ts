/**
 * Reading values: exact decimals to two places, carried as an integer number of hundredths ("centi").
 *
 * A float like 78.42 cannot be stored exactly; an integer 7842 can, and |value| < 1e12 keeps every
 * centi value below 1e14, well inside Number.MAX_SAFE_INTEGER (9.007e15). Rounding is done on the
 * decimal text — for a JSON number, the shortest text that reads back as the same double, i.e. what
 * the device most plausibly sent — so 78.425 rounds to 78.43 as a person expects, not to 78.42 as
 * binary arithmetic on 78.42499999999999715783 would.
 */

/** Values must satisfy |value| < VALUE_LIMIT. */
export const VALUE_LIMIT = 1e12;
const CENTI_LIMIT = 100_000_000_000_000n; // VALUE_LIMIT in hundredths

export type CentiResult = { ok: true; centi: number } | { ok: false; reason: string };

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Rounds a decimal number written as text to hundredths, half away from zero, exactly.
 * Accepts what JSON and `String(number)` produce (`-1.5`, `1e-7`, `2.5E+3`) plus a leading `+`.
 */
export function decimalToCenti(text: string): CentiResult {
  const centi = plainDecimalCenti(text);
  return centi === undefined ? exactDecimalToCenti(text) : { ok: true, centi };
}

/**
 * The hundredths of a plain decimal with at most 12 integer and 2 fraction digits (`-78.4`, `7842`),
 * the form nearly every reading has, read without a BigInt; undefined for any other text, which the
 * exact path handles. Those bounds keep the value below 1e12 and the arithmetic exact.
 */
export function plainDecimalCenti(text: string): number | undefined {
  const n = text.length;
  let at = 0;
  const sign = text.charCodeAt(0);
  if (sign === 0x2d || sign === 0x2b) at = 1;
  let whole = 0;
  const first = at;
  for (
    let digit = text.charCodeAt(at) - 0x30;
    digit >= 0 && digit <= 9;
    digit = text.charCodeAt(++at) - 0x30
  ) {
    whole = whole * 10 + digit;
  }
  if (at === first || at - first > 12) return undefined;
  let fraction = 0;
  if (at < n) {
    if (text.charCodeAt(at) !== 0x2e) return undefined;
    const digits = n - at - 1;
    if (digits > 2) return undefined;
    for (let i = at + 1; i < n; i++) {
      const digit = text.charCodeAt(i) - 0x30;
      if (!(digit >= 0 && digit <= 9)) return undefined;
      fraction = fraction * 10 + digit;
    }
    if (digits === 1) fraction *= 10;
  }
  const centi = whole * 100 + fraction;
  return sign === 0x2d && centi !== 0 ? -centi : centi;
}

/** The whole rounding, for any decimal text, with a reason when it is not a value. */
function exactDecimalToCenti(text: string): CentiResult {
  const m = DECIMAL.exec(text.trim());
  const intDigits = m?.[2] ?? "";
  const fracDigits = m?.[3] ?? "";
  if (!m || (intDigits === "" && fracDigits === "")) {
    const hint = /^\s*[+-]?\d+,\d+\s*$/.test(text)
      ? " (use a point, not a comma, as the decimal separator)"
      : "";
    return { ok: false, reason: `value "${clip(text)}" is not a number${hint}` };
  }
  const negative = m[1] === "-";
  // digits × 10^(exponent − fracDigits.length) is the exact value; we want it × 100, rounded.
  const digits = `${intDigits}${fracDigits}`.replace(/^0+/, "") || "0";
  if (digits === "0") return { ok: true, centi: 0 }; // zero, whatever its exponent ("0e200")
  const exponent = Number(m[4] ?? "0");
  if (!Number.isSafeInteger(exponent) || exponent > 100) {
    return { ok: false, reason: `value ${clip(text)} is out of range (|value| must be < 1e12)` };
  }
  const shift = exponent - fracDigits.length + 2;
  let centi: bigint;
  let roundedUp = false;
  if (shift >= 0) {
    centi = BigInt(digits) * 10n ** BigInt(shift);
  } else if (-shift > digits.length) {
    centi = 0n; // below 0.005: rounds to zero
  } else {
    const keep = digits.slice(0, digits.length + shift) || "0";
    roundedUp = digits.charAt(digits.length + shift) >= "5";
    centi = BigInt(keep) + (roundedUp ? 1n : 0n);
  }
  if (centi >= CENTI_LIMIT) {
    // 999999999999.995 is below 1e12 but would be stored as 1e12; say why it is refused.
    const rounding = roundedUp && centi === CENTI_LIMIT ? " once rounded to two decimals" : "";
    return {
      ok: false,
      reason: `value ${clip(text)} is out of range${rounding} (|value| must be < 1e12)`,
    };
  }
  const n = Number(centi);
  return { ok: true, centi: negative && n !== 0 ? -n : n };
}

/** The same rule for a JS number (from JSON.parse): finite, then rounded on its shortest text. */
export function numberToCenti(value: number): CentiResult {
  if (Number.isNaN(value)) return { ok: false, reason: "value is NaN; send a finite number" };
  if (!Number.isFinite(value)) return { ok: false, reason: "value is infinite; send a finite number" };
  return decimalToCenti(String(value));
}

/**
 * The JSON number for a centi value. centi / 100 is the double nearest the decimal (IEEE division is
 * correctly rounded) and, with at most 14 significant digits, prints back as exactly that decimal.
 */
export function centiToNumber(centi: number): number {
  return centi / 100;
}

/**
 * Hundredths written as an integer of any size (a numeric sum from PostgreSQL) as the number nearest
 * its exact value: the decimal point is put in the text, so the value is rounded once, even past
 * 2^53 hundredths where `Number(text) / 100` would round twice.
 */
export function centiTextToNumber(text: string): number {
  const sign = text.startsWith("-") ? "-" : "";
  const digits = text.slice(sign.length).padStart(3, "0");
  return Number(`${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`);
}

/** The exact decimal text of a centi value, e.g. 7842 → "78.42", -5 → "-0.05". */
export function centiToString(centi: number): string {
  const sign = centi < 0 ? "-" : "";
  const abs = Math.abs(centi);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
