/**
 * A Barnes–Hut tree over 2D or 3D points (quadtree / octree) in flat typed arrays, rebuilt each
 * t-SNE iteration. Nodes store their centre of mass, point count and cell width; children of a
 * node are stored contiguously. Near-duplicate points stop splitting at `MAX_DEPTH`.
 */
const MAX_DEPTH = 48;

export class SpaceTree {
  private capacity = 0;
  private count = 0;
  mass!: Float64Array;
  centre!: Float64Array;
  width!: Float64Array;
  children!: Int32Array;
  childCount!: Uint8Array;
  /** For a leaf holding points: the first point's index; −1 for inner nodes. */
  leafPoint!: Int32Array;

  private readonly order: Int32Array;
  private readonly scratch: Int32Array;
  private readonly codes: Uint8Array;
  private readonly fanout: number;

  constructor(
    private readonly dims: 2 | 3,
    rows: number,
  ) {
    this.fanout = 1 << dims;
    this.order = new Int32Array(rows);
    this.scratch = new Int32Array(rows);
    this.codes = new Uint8Array(rows);
    this.grow(Math.max(16, 2 * rows));
  }

  get nodes(): number {
    return this.count;
  }

  private grow(capacity: number): void {
    const { dims } = this;
    const copy = <T extends Float64Array | Int32Array | Uint8Array>(
      old: T | undefined,
      next: T,
    ): T => {
      if (old) next.set(old.subarray(0, Math.min(old.length, next.length)));
      return next;
    };
    this.mass = copy(this.mass as Float64Array | undefined, new Float64Array(capacity));
    this.centre = copy(this.centre as Float64Array | undefined, new Float64Array(capacity * dims));
    this.width = copy(this.width as Float64Array | undefined, new Float64Array(capacity));
    this.children = copy(this.children as Int32Array | undefined, new Int32Array(capacity));
    this.childCount = copy(this.childCount as Uint8Array | undefined, new Uint8Array(capacity));
    this.leafPoint = copy(this.leafPoint as Int32Array | undefined, new Int32Array(capacity));
    this.capacity = capacity;
  }

  private allocate(): number {
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    return this.count++;
  }

  /** Rebuilds the tree over `y` (`rows × dims`). */
  build(y: Float64Array, rows: number): void {
    const { dims } = this;
    const min = new Float64Array(dims).fill(Infinity);
    const max = new Float64Array(dims).fill(-Infinity);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < dims; c++) {
        const v = y[i * dims + c] as number;
        if (v < (min[c] as number)) min[c] = v;
        if (v > (max[c] as number)) max[c] = v;
      }
      this.order[i] = i;
    }
    let size = 0;
    for (let c = 0; c < dims; c++) size = Math.max(size, (max[c] as number) - (min[c] as number));
    size = size * (1 + 1e-6) + 1e-12;
    this.count = 0;
    // Explicit stack of (node, lo, hi, depth, corner...) to avoid recursion on deep trees.
    const root = this.allocate();
    const stack: number[] = [root, 0, rows, 0, size, ...min];
    const frame = 5 + dims;
    const corner = new Float64Array(dims);
    const counts = new Int32Array(this.fanout);
    const starts = new Int32Array(this.fanout);
    const sums = new Float64Array(dims);
    const { order, scratch, codes } = this;
    while (stack.length > 0) {
      const base = stack.length - frame;
      const node = stack[base] as number;
      const lo = stack[base + 1] as number;
      const hi = stack[base + 2] as number;
      const depth = stack[base + 3] as number;
      const width = stack[base + 4] as number;
      for (let c = 0; c < dims; c++) corner[c] = stack[base + 5 + c] as number;
      stack.length = base;

      const n = hi - lo;
      this.mass[node] = n;
      this.width[node] = width;
      const half = width / 2;
      // One pass: centre of mass and each point's child cell.
      counts.fill(0);
      sums.fill(0);
      for (let i = lo; i < hi; i++) {
        const p = (order[i] as number) * dims;
        let q = 0;
        for (let c = 0; c < dims; c++) {
          const v = y[p + c] as number;
          sums[c] = (sums[c] as number) + v;
          if (v >= (corner[c] as number) + half) q |= 1 << c;
        }
        codes[i] = q;
        counts[q] = (counts[q] as number) + 1;
      }
      for (let c = 0; c < dims; c++) this.centre[node * dims + c] = (sums[c] as number) / n;
      if (n === 1 || depth >= MAX_DEPTH) {
        this.leafPoint[node] = order[lo] as number;
        this.childCount[node] = 0;
        continue;
      }
      this.leafPoint[node] = -1;
      let at = lo;
      for (let q = 0; q < this.fanout; q++) {
        starts[q] = at;
        at += counts[q] as number;
      }
      for (let i = lo; i < hi; i++) {
        const q = codes[i] as number;
        const slot = starts[q] as number;
        scratch[slot] = order[i] as number;
        starts[q] = slot + 1;
      }
      order.set(scratch.subarray(lo, hi), lo);
      let first = -1;
      let made = 0;
      at = lo;
      for (let q = 0; q < this.fanout; q++) {
        const c = counts[q] as number;
        if (c === 0) continue;
        const child = this.allocate();
        if (first < 0) first = child;
        made++;
        stack.push(child, at, at + c, depth + 1, half);
        for (let d = 0; d < dims; d++)
          stack.push((corner[d] as number) + ((q >> d) & 1 ? half : 0));
        at += c;
      }
      this.children[node] = first;
      this.childCount[node] = made;
    }
  }
}
