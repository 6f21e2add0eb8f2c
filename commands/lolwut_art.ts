/**
 * LOLWUT's computer art as Redis 7.0.15 draws it (lolwut.c, lolwut5.c, lolwut6.c): a canvas of
 * pixels, Georg Nees's "Schotter" rendered in Braille characters (LOLWUT VERSION 5) and an 8-bit
 * skyline rendered in terminal colours (LOLWUT VERSION 6). Pure: the random numbers come from the
 * caller (`rand`, C's rand(): an integer in 0..RAND_MAX), so a seed reproduces a drawing.
 *
 * Redis computes Schotter's geometry in C `float`s; every step here rounds to a float
 * (`Math.fround`) where C does, so the rows drawn without randomness (the first two) are the same
 * pixels as Redis's (tests/lolwut_test.ts compares them with a running redis-server).
 */

/** glibc's RAND_MAX. */
export const RAND_MAX = 0x7fffffff;

/** C's rand(): an integer in 0..RAND_MAX. */
export type Rand = () => number;

const f = Math.fround;

/** C's round(): halfway cases away from zero. */
function cRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** A width x height canvas of colours (0-3); writes outside it are dropped, reads give 0. */
export class Canvas {
  readonly pixels: Uint8Array;

  constructor(readonly width: number, readonly height: number, background = 0) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width];
  }

  /** Bresenham's line from x1,y1 to x2,y2 (lwDrawLine). */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /** A square centred on x,y, `size` wide, turned by `angle` radians (lwDrawSquare). */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    size = f(cRound(f(size / 1.4142135623)));
    const px: number[] = [];
    const py: number[] = [];
    let k = f(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * size + x));
      py.push(cRound(Math.cos(k) * size + y));
      k = f(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}

/**
 * Schotter (lwDrawSchotter): squares_per_row x squares_per_col squares on a canvas
 * `consoleCols` Braille characters wide, turned and moved more at random row by row.
 */
export function drawSchotter(
  consoleCols: number,
  squaresPerRow: number,
  squaresPerCol: number,
  rand: Rand,
): Canvas {
  const canvasWidth = consoleCols * 2;
  const padding = canvasWidth > 4 ? 2 : 0;
  const side = f(f(canvasWidth - padding * 2) / squaresPerRow);
  const canvasHeight = Math.trunc(f(f(side * squaresPerCol) + padding * 2));
  const canvas = new Canvas(canvasWidth, canvasHeight, 0);
  const half = f(side / 2);
  for (let y = 0; y < squaresPerCol; y++) {
    for (let x = 0; x < squaresPerRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + half) + padding));
      let sy = Math.trunc(f(f(f(y * side) + half) + padding));
      let angle = 0;
      if (y > 1) {
        const shake = (): number => f(f(f(f(rand()) / f(RAND_MAX)) / squaresPerCol) * y);
        let r1 = shake();
        let r2 = shake();
        let r3 = shake();
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f(sx + f(f(r2 * side) / 3)));
        sy = Math.trunc(f(sy + f(f(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** Each 2x4 block of pixels as one Braille character, a line per four pixel rows (lolwut5.c). */
export function renderBraille(canvas: Canvas): string {
  let text = "";
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let byte = 0;
      if (canvas.get(x, y)) byte |= 1 << 0;
      if (canvas.get(x, y + 1)) byte |= 1 << 1;
      if (canvas.get(x, y + 2)) byte |= 1 << 2;
      if (canvas.get(x + 1, y)) byte |= 1 << 3;
      if (canvas.get(x + 1, y + 1)) byte |= 1 << 4;
      if (canvas.get(x + 1, y + 2)) byte |= 1 << 5;
      if (canvas.get(x, y + 3)) byte |= 1 << 6;
      if (canvas.get(x + 1, y + 3)) byte |= 1 << 7;
      text += String.fromCharCode(0x2800 + byte);
    }
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}

/** A skyscraper of the skyline (lolwut6.c `struct skyscraper`). */
interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

/** C's integer division of non-negative ints. */
const div = (a: number, b: number): number => Math.trunc(a / b);

function drawSkyscraper(canvas: Canvas, s: Skyscraper, rand: Rand): void {
  const startY = canvas.height - 1;
  const endY = startY - s.height + 1;
  for (let y = startY; y >= endY; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      // The roof is four pixels narrower.
      if (y === endY && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue;
      let color = s.color;
      if (
        s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endY + 1 && y < startY - 1
      ) {
        const relX = x - (s.xoff + 1);
        const relY = y - (endY + 1);
        // Windows two pixels wide and one tall; both pixels of a window the same grey.
        if (div(relX, 2) % 2 && relY % 2) {
          do color = 1 + rand() % 2; while (color === s.color);
          if (relX % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, color);
    }
  }
}

/** The skyline of LOLWUT VERSION 6 (generateSkyline) on a `cols` x `rows` white canvas. */
export function drawSkyline(cols: number, rows: number, rand: Rand): Canvas {
  const canvas = new Canvas(cols, rows, 3);
  const h = canvas.height;
  // Windowless buildings in two greys, the lighter ones drawn first to stay behind.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width;) {
      offset += rand() % 8;
      const width = 10 + rand() % 9;
      const height = color === 2 ? div(h, 2) + div(rand() % h, 2) : div(h, 2) + div(rand() % h, 3);
      drawSkyscraper(canvas, { xoff: offset, width, height, windows: false, color }, rand);
      offset += color === 2 ? div(width, 2) : width + 1;
    }
  }
  // The black buildings in front, with windows.
  for (let offset = -10; offset < canvas.width;) {
    offset += rand() % 8;
    let width = 5 + rand() % 14;
    if (width % 4) width += width % 3;
    const height = div(h, 3) + div(rand() % h, 2);
    drawSkyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 }, rand);
    offset += width + 5;
  }
  return canvas;
}

/** Foreground and background colour escapes for black, two greys and white (lolwut6.c). */
const COLOR_ESCAPES = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];

/** One coloured space per pixel, a line per row (lolwut6.c renderCanvas). */
export function renderColors(canvas: Canvas): string {
  let text = "";
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      text += `\x1b[${COLOR_ESCAPES[canvas.get(x, y)] ?? COLOR_ESCAPES[0]} \x1b[0m`;
    }
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}
