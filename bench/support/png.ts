/**
 * Line charts as PNG with no browser and no native module: an RGB raster, a 5×7 bitmap font, and a
 * PNG encoder on node:zlib. The bench scripts render their own figures with it, so every chart in
 * docs/load-test.md comes from the same run as the tables beside it.
 */
import { deflateSync } from "node:zlib";

type Rgb = readonly [number, number, number];

// Rows of 5 bits, top to bottom; lower-case letters are drawn as capitals.
const FONT: Record<string, readonly number[]> = {
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [30, 17, 17, 17, 17, 17, 30],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  "0": [14, 17, 19, 21, 25, 17, 14],
  "1": [4, 12, 4, 4, 4, 4, 14],
  "2": [14, 17, 1, 2, 4, 8, 31],
  "3": [31, 2, 4, 2, 1, 17, 14],
  "4": [2, 6, 10, 18, 31, 2, 2],
  "5": [31, 16, 30, 1, 1, 17, 14],
  "6": [6, 8, 16, 30, 17, 17, 14],
  "7": [31, 1, 2, 4, 8, 8, 8],
  "8": [14, 17, 17, 14, 17, 17, 14],
  "9": [14, 17, 17, 15, 1, 2, 12],
  ".": [0, 0, 0, 0, 0, 12, 12],
  ",": [0, 0, 0, 0, 12, 4, 8],
  "-": [0, 0, 0, 31, 0, 0, 0],
  "/": [0, 1, 2, 4, 8, 16, 0],
  "%": [24, 25, 2, 4, 8, 19, 3],
  ":": [0, 12, 12, 0, 12, 12, 0],
  "(": [2, 4, 8, 8, 8, 4, 2],
  ")": [8, 4, 2, 2, 2, 4, 8],
  "=": [0, 0, 31, 0, 31, 0, 0],
  "+": [0, 4, 4, 31, 4, 4, 0],
  _: [0, 0, 0, 0, 0, 0, 31],
  " ": [0, 0, 0, 0, 0, 0, 0],
};
const SCALE = 2;
const ADVANCE = 6 * SCALE;
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [255, 127, 14],
  [148, 103, 189],
  [140, 86, 75],
];

class Raster {
  readonly pixels: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = Buffer.alloc(width * height * 3, 255);
  }
  set(x: number, y: number, [r, g, b]: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const i = (yi * this.width + xi) * 3;
    this.pixels[i] = r;
    this.pixels[i + 1] = g;
    this.pixels[i + 2] = b;
  }
  /** A line `thick` pixels wide: stepping along the longer axis leaves no gaps. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thick = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let dx = 0; dx < thick; dx++) for (let dy = 0; dy < thick; dy++) this.set(x + dx, y + dy, color);
    }
  }
  text(x: number, y: number, value: string, color: Rgb = [0, 0, 0]): void {
    [...value.toUpperCase()].forEach((ch, n) => {
      const rows = FONT[ch] ?? FONT[" "] ?? [];
      rows.forEach((bits, row) => {
        for (let col = 0; col < 5; col++) {
          if (!(bits & (16 >> col))) continue;
          for (let a = 0; a < SCALE; a++)
            for (let b = 0; b < SCALE; b++)
              this.set(x + n * ADVANCE + col * SCALE + a, y + row * SCALE + b, color);
        }
      });
    });
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}
function encodePng(r: Raster): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(r.width, 0);
  ihdr.writeUInt32BE(r.height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows = Buffer.alloc((r.width * 3 + 1) * r.height);
  for (let y = 0; y < r.height; y++)
    r.pixels.copy(rows, y * (r.width * 3 + 1) + 1, y * r.width * 3, (y + 1) * r.width * 3);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logX?: boolean;
  logY?: boolean;
  /** Shaded x intervals, e.g. while a fault lasted. */
  bands?: readonly { from: number; to: number; label: string }[];
}

const short = (v: number) =>
  Math.abs(v) >= 1e6
    ? `${+(v / 1e6).toPrecision(3)}M`
    : Math.abs(v) >= 1e3
      ? `${+(v / 1e3).toPrecision(3)}K`
      : `${+v.toPrecision(3)}`;

function ticks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++)
      for (const m of [1, 2, 5])
        if (m * 10 ** e >= min * 0.999 && m * 10 ** e <= max * 1.001) out.push(m * 10 ** e);
    return out;
  }
  const raw = (max - min) / 5 || 1;
  const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(v);
  return out;
}

export function lineChart(options: ChartOptions): Buffer {
  const [W, H, left, right, top, bottom] = [960, 520, 90, 250, 50, 70];
  const r = new Raster(W, H);
  const all = options.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x0 === x1) x1 = x0 + 1;
  // On a log axis a zero (nothing answered) cannot be drawn: the axis starts at the smallest positive value.
  const y0 = options.logY ? Math.min(...ys.filter((y) => y > 0), 1) : 0;
  const y1 = Math.max(...ys, y0 + 1) * 1.05;
  const tx = (x: number) => (options.logX ? Math.log10(x) : x);
  const ty = (y: number) => (options.logY ? Math.log10(Math.max(y, y0)) : y);
  const px = (x: number) => left + ((tx(x) - tx(x0)) / (tx(x1) - tx(x0))) * (W - left - right);
  const py = (y: number) => H - bottom - ((ty(y) - ty(y0)) / (ty(y1) - ty(y0))) * (H - top - bottom);
  for (const band of options.bands ?? []) {
    for (let x = Math.max(left, px(band.from)); x <= Math.min(W - right, px(band.to)); x++)
      r.line(x, top, x, H - bottom, [255, 228, 196]);
    r.text(px(band.from) + 4, top + 4, band.label, [160, 80, 0]);
  }
  const grey: Rgb = [200, 200, 200];
  for (const t of ticks(x0, x1, options.logX ?? false)) {
    r.line(px(t), top, px(t), H - bottom, grey);
    r.text(px(t) - (short(t).length * ADVANCE) / 2, H - bottom + 8, short(t));
  }
  for (const t of ticks(y0, y1, options.logY ?? false)) {
    r.line(left, py(t), W - right, py(t), grey);
    r.text(left - 8 - short(t).length * ADVANCE, py(t) - 7, short(t));
  }
  r.line(left, top, left, H - bottom, [0, 0, 0], 2);
  r.line(left, H - bottom, W - right, H - bottom, [0, 0, 0], 2);
  r.text(left, 14, options.title);
  r.text(left + (W - left - right) / 2 - (options.xLabel.length * ADVANCE) / 2, H - 26, options.xLabel);
  r.text(6, top - 24, options.yLabel);
  options.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] ?? [0, 0, 0];
    const pts = s.points.filter(
      ([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!options.logY || y > 0),
    );
    for (let k = 1; k < pts.length; k++) {
      const [a, b] = [pts[k - 1], pts[k]];
      if (a && b) r.line(px(a[0]), py(a[1]), px(b[0]), py(b[1]), color, 2);
    }
    for (const [x, y] of pts.length <= 40 ? pts : [])
      r.line(px(x) - 3, py(y) - 3, px(x) + 3, py(y) - 3, color, 6);
    r.line(W - right + 16, top + 10 + i * 24, W - right + 40, top + 10 + i * 24, color, 4);
    r.text(W - right + 46, top + 4 + i * 24, s.name.slice(0, 17));
  });
  return encodePng(r);
}
