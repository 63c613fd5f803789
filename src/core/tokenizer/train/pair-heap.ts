/**
 * A max-heap of symbol pairs by count; equal counts pop the smaller pair first (left id, then
 * right id), the order HF tokenizers' BPE trainer uses. Entries may be stale: the trainer checks
 * each popped count against the live one.
 */
export class PairHeap {
  private readonly counts: number[] = [];
  private readonly lefts: number[] = [];
  private readonly rights: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  push(count: number, left: number, right: number): void {
    this.counts.push(count);
    this.lefts.push(left);
    this.rights.push(right);
    this.up(this.counts.length - 1);
  }

  /** The best entry as [count, left, right], removed from the heap; undefined when empty. */
  pop(): [number, number, number] | undefined {
    const n = this.counts.length;
    if (n === 0) return undefined;
    const top: [number, number, number] = [
      this.counts[0] ?? 0,
      this.lefts[0] ?? 0,
      this.rights[0] ?? 0,
    ];
    const lastCount = this.counts.pop() ?? 0;
    const lastLeft = this.lefts.pop() ?? 0;
    const lastRight = this.rights.pop() ?? 0;
    if (n > 1) {
      this.counts[0] = lastCount;
      this.lefts[0] = lastLeft;
      this.rights[0] = lastRight;
      this.down(0);
    }
    return top;
  }

  /** Whether entry i should sit above entry j. */
  private better(i: number, j: number): boolean {
    const ci = this.counts[i] ?? 0;
    const cj = this.counts[j] ?? 0;
    if (ci !== cj) return ci > cj;
    const li = this.lefts[i] ?? 0;
    const lj = this.lefts[j] ?? 0;
    if (li !== lj) return li < lj;
    return (this.rights[i] ?? 0) < (this.rights[j] ?? 0);
  }

  private swap(i: number, j: number): void {
    const { counts, lefts, rights } = this;
    [counts[i], counts[j]] = [counts[j] ?? 0, counts[i] ?? 0];
    [lefts[i], lefts[j]] = [lefts[j] ?? 0, lefts[i] ?? 0];
    [rights[i], rights[j]] = [rights[j] ?? 0, rights[i] ?? 0];
  }

  private up(start: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(start: number): void {
    const n = this.counts.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < n && this.better(left, best)) best = left;
      if (right < n && this.better(right, best)) best = right;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
