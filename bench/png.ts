/**
 * A small RGB canvas written as PNG with node:zlib (deflate and CRC-32), for the charts of the
 * benchmark: filled rectangles, lines and dots are all a chart of a few series needs.
 */
import { crc32, deflateSync } from 'node:zlib';

export type Rgb = readonly [number, number, number];

export class Canvas {
  private readonly px: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.px = new Uint8Array(width * height * 3);
    this.rect(0, 0, width, height, background);
  }

  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    this.px.set(c, (yi * this.width + xi) * 3);
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = Math.max(0, Math.round(y)); j < Math.min(this.height, Math.round(y + h)); j++) {
      for (let i = Math.max(0, Math.round(x)); i < Math.min(this.width, Math.round(x + w)); i++) this.px.set(c, (j * this.width + i) * 3);
    }
  }

  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 2): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    const r = thickness / 2;
    for (let s = 0; s <= steps; s++) this.rect(x0 + ((x1 - x0) * s) / steps - r, y0 + ((y1 - y0) * s) / steps - r, thickness, thickness, c);
  }

  dot(x: number, y: number, c: Rgb, size = 6): void {
    this.rect(x - size / 2, y - size / 2, size, size, c);
  }

  /** The canvas as a PNG file (8-bit RGB, no interlace). */
  png(): Buffer {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (this.width * 3 + 1)] = 0; // filter: none
      raw.set(this.px.subarray(y * this.width * 3, (y + 1) * this.width * 3), y * (this.width * 3 + 1) + 1);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  }
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** One panel of a chart: series of (x, y) points drawn as lines with dots, y from 0 to the largest value. */
export interface Panel {
  readonly series: readonly { readonly color: Rgb; readonly points: readonly (readonly [number, number])[] }[];
}

/** Panels side by side, each with its axes, 5 horizontal grid lines, and its x values spread evenly. */
export function chart(panels: readonly Panel[], panelWidth = 220, height = 180): Buffer {
  const c = new Canvas(panels.length * panelWidth, height);
  const grid: Rgb = [225, 225, 225];
  const axis: Rgb = [60, 60, 60];
  panels.forEach((p, k) => {
    const left = k * panelWidth + 24;
    const right = (k + 1) * panelWidth - 12;
    const top = 12;
    const bottom = height - 20;
    for (let g = 0; g <= 4; g++) c.rect(left, top + ((bottom - top) * g) / 4, right - left, 1, grid);
    c.rect(left, top, 1, bottom - top, axis);
    c.rect(left, bottom, right - left, 1, axis);
    for (const s of p.series) {
      const max = Math.max(...s.points.map((q) => q[1]).filter(Number.isFinite), 1e-9);
      const n = s.points.length;
      const at = (i: number, y: number): [number, number] => [left + 8 + ((right - left - 16) * (n === 1 ? 0.5 : i / (n - 1))), bottom - ((bottom - top) * (Number.isFinite(y) ? y : 0)) / max];
      s.points.forEach((q, i) => {
        const [x, y] = at(i, q[1]);
        if (i > 0) {
          const [px, py] = at(i - 1, s.points[i - 1]![1]);
          c.line(px, py, x, y, s.color);
        }
        c.dot(x, y, s.color);
        c.rect(x, bottom + 2, 1, 5, axis); // a tick under each x value
      });
    }
  });
  return c.png();
}
