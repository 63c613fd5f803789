/**
 * Seeded normal random numbers that give the same bits in every JavaScript engine. Math.log, sin
 * and cos may differ in the last bit between engines, so the normals use the Marsaglia polar
 * method with a logarithm built from exact IEEE operations only (+, −, ×, ÷, sqrt).
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  /** `seed` is any safe integer; `stream` separates independent sequences under one seed. */
  constructor(seed: number, stream = '') {
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`Seed must be a safe integer, got ${seed}`);
    const low = seed >>> 0;
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    let state = Math.imul(fnv1a(stream) ^ high, 0x9e3779b1) ^ low;
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      return splitmix32(state);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** xoshiro128**: a small, fast generator with good statistical quality. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Standard normal N(0, 1). */
  nextNormal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    for (;;) {
      const u = 2 * this.nextFloat() - 1;
      const v = 2 * this.nextFloat() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const factor = Math.sqrt((-2 * portableLog(s)) / s);
      this.spare = v * factor;
      return u * factor;
    }
  }
}

const LN2 = 0.6931471805599453;
const float64 = new Float64Array(1);
const float64Words = new Uint32Array(float64.buffer);
const highWord = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * Natural logarithm of a positive, normal double, accurate to about 1 ulp, computed from exact
 * arithmetic only: x = m·2^e with m in [√½, √2), then ln m = 2·atanh((m−1)/(m+1)) by its series.
 */
export function portableLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x === 0 ? -Infinity : Number.NaN;
  float64[0] = x;
  const words = float64Words;
  let exponent = ((words[highWord] ?? 0) >>> 20) - 1023;
  if (exponent === -1023) return portableLog(x * 2 ** 64) - 64 * LN2;
  // Replace the exponent bits with 1023 so the value is the mantissa m in [1, 2).
  words[highWord] = ((words[highWord] ?? 0) & 0x800fffff) | 0x3ff00000;
  let m = float64[0] ?? 1;
  if (m > Math.SQRT2) {
    m /= 2;
    exponent += 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  // |s| ≤ 0.172, so s² ≤ 0.0295 and 14 terms reach below 1e-20.
  let sum = 0;
  for (let k = 27; k >= 1; k -= 2) sum = sum * s2 + 1 / k;
  return exponent * LN2 + 2 * s * sum;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function splitmix32(x: number): number {
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}
