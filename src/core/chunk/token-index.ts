/**
 * Where each token of the whole document starts, so the token length of any span is two
 * binary searches instead of a fresh tokenization.
 */
export class TokenIndex {
  constructor(
    private readonly starts: Int32Array,
    private readonly ends: Int32Array,
    private readonly textLength: number,
  ) {}

  static fromOffsets(offsets: ReadonlyArray<readonly [number, number]>, textLength: number) {
    const starts = new Int32Array(offsets.length);
    const ends = new Int32Array(offsets.length);
    let floor = 0;
    offsets.forEach(([start, end], i) => {
      floor = Math.max(floor, start);
      starts[i] = floor;
      ends[i] = Math.max(floor, end);
    });
    return new TokenIndex(starts, ends, textLength);
  }

  get size(): number {
    return this.starts.length;
  }

  /** Start of token `k`, or the text length past the last token. */
  start(k: number): number {
    return k < this.starts.length ? (this.starts[k] ?? this.textLength) : this.textLength;
  }

  /** Number of tokens starting before `position`. */
  before(position: number): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts[mid] ?? 0) < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Tokens starting in [from, to). */
  count(from: number, to: number): number {
    return this.before(to) - this.before(from);
  }

  /** The furthest end e with count(from, e) <= budget. */
  reach(from: number, budget: number): number {
    return this.start(this.before(from) + budget);
  }

  /** Whether `position` falls strictly inside a token (after its start, before its end). */
  insideToken(position: number): boolean {
    const k = this.before(position) - 1;
    return k >= 0 && (this.ends[k] ?? 0) > position;
  }
}
