/**
 * Near-duplicate rows: every pair with cosine ≥ threshold, and the groups they link (connected
 * components). Exact, in row blocks (block × block dot products; memory is the rows plus the
 * pairs found, never n²).
 *
 * Most pairs are far below a near-duplicate threshold, so each pair first gets the dot product
 * of a prefix of the dims; by Cauchy–Schwarz the rest adds at most |tail a|·|tail b|, and pairs
 * that cannot reach the threshold stop there. Dims are reordered by descending energy first, so
 * the prefix holds as much of each vector as possible (a consistent reordering leaves every dot
 * product unchanged).
 */
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { inverseRowNorms } from '../search/kernels.ts';
import { dotSpan, dotTile2x4 } from './dot-tile.ts';
import { labelledRowCount, Pacer, type LabelledEmbeddings } from './matrix.ts';
import { components, UnionFind } from './union-find.ts';

export interface DuplicateOptions {
  /** Cosine similarity a pair must reach, in (0, 1]; default 0.95. */
  threshold?: number;
  /** Rows per block; default 256. */
  blockSize?: number;
  /** Throw rather than hold more pairs than this (a threshold set too low); default 1 000 000. */
  maxPairs?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface DuplicatePair {
  /** Id of the earlier row. */
  a: string;
  /** Id of the later row. */
  b: string;
  score: number;
  rowA: number;
  rowB: number;
}

export interface DuplicateGroup {
  /** 0, 1, …: largest group first. */
  group: number;
  /** Ids in row order. */
  members: string[];
  rows: number[];
}

export interface DuplicateResult {
  /** Highest score first; ties by rowA, then rowB. */
  pairs: DuplicatePair[];
  groups: DuplicateGroup[];
}

/** Exactness margin for the prefix bound, far above the double rounding of 384-term sums. */
const BOUND_SLACK = 1e-9;

/** Unit rows with dims reordered by descending total energy, and the norm of each row's tail. */
function prepareRows(matrix: LabelledEmbeddings, n: number, prefix: number) {
  const { vectors, dims } = matrix;
  const inverse = inverseRowNorms(vectors, n, dims);
  const energy = new Float64Array(dims);
  for (let row = 0, offset = 0; row < n; row++, offset += dims) {
    const scale = inverse ? (inverse[row] as number) : 1;
    for (let j = 0; j < dims; j++)
      energy[j] = (energy[j] as number) + ((vectors[offset + j] as number) * scale) ** 2;
  }
  const order = Array.from({ length: dims }, (_, j) => j).sort(
    (a, b) => (energy[b] as number) - (energy[a] as number) || a - b,
  );
  // Three zero rows of padding let the 2 × 4 kernel read past the last row without a branch.
  const data = new Float32Array((n + 3) * dims);
  const tails = new Float64Array(n);
  for (let row = 0, offset = 0; row < n; row++, offset += dims) {
    const scale = inverse ? (inverse[row] as number) : 1;
    for (let j = 0; j < dims; j++) {
      data[offset + j] = (vectors[offset + (order[j] as number)] as number) * scale;
    }
    let tail = 0;
    for (let j = prefix; j < dims; j++) tail += (data[offset + j] as number) ** 2;
    tails[row] = Math.sqrt(tail);
  }
  return { data, tails };
}

/** Pairs found so far, in growable typed arrays so there is no object per pair until the end. */
class PairBuffer {
  rowsA = new Int32Array(1024);
  rowsB = new Int32Array(1024);
  scores = new Float64Array(1024);
  length = 0;

  constructor(private readonly maxPairs: number) {}

  push(a: number, b: number, score: number): void {
    if (this.length === this.maxPairs) {
      throw new RangeError(
        `More than ${this.maxPairs} pairs reach the threshold; raise the threshold or maxPairs.`,
      );
    }
    if (this.length === this.scores.length) {
      const grow = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
        const next = make(old.length * 2);
        next.set(old);
        return next;
      };
      this.rowsA = grow(this.rowsA, (n) => new Int32Array(n));
      this.rowsB = grow(this.rowsB, (n) => new Int32Array(n));
      this.scores = grow(this.scores, (n) => new Float64Array(n));
    }
    this.rowsA[this.length] = a;
    this.rowsB[this.length] = b;
    this.scores[this.length] = score;
    this.length++;
  }
}

function checkOptions(threshold: number, blockSize: number, maxPairs: number): void {
  if (!(threshold > 0 && threshold <= 1)) {
    throw new RangeError(`threshold must be in (0, 1], got ${threshold}.`);
  }
  if (!Number.isInteger(blockSize) || blockSize < 2 || blockSize % 2 !== 0) {
    throw new RangeError(`blockSize must be an even integer ≥ 2, got ${blockSize}.`);
  }
  if (!Number.isInteger(maxPairs) || maxPairs < 1) {
    throw new RangeError(`maxPairs must be a positive integer, got ${maxPairs}.`);
  }
}

/** Scans the pairs (i, j), i in rows [i0, i1), j in [j0, j1), j > i, into `found`. */
function scanBlockPair(
  data: Float32Array,
  tails: Float64Array,
  dims: number,
  prefix: number,
  threshold: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  found: PairBuffer,
  tile: Float64Array,
): void {
  const rest = dims - prefix;
  for (let i = i0; i < i1; i += 2) {
    // Rows go 2 × 4; rows past the block end repeat the last row and their pairs are skipped.
    const iB = Math.min(i + 1, i1 - 1);
    const tailA = tails[i] as number;
    const tailB = tails[iB] as number;
    const jStart = Math.max(j0, i + 1);
    for (let j = jStart; j < j1; j += 4) {
      const jLast = j1 - 1;
      dotTile2x4(data, i * dims, iB * dims, data, j * dims, dims, prefix, tile);
      for (let q = 0; q < 4; q++) {
        const jq = j + q;
        if (jq > jLast) break;
        const tailJ = tails[jq] as number;
        for (let r = 0; r < 2; r++) {
          const row = r === 0 ? i : iB;
          if (r === 1 && (iB === i || jq <= iB)) continue;
          const head = tile[4 * r + q] as number;
          if (head + (r === 0 ? tailA : tailB) * tailJ < threshold - BOUND_SLACK) continue;
          const score =
            rest > 0
              ? head + dotSpan(data, row * dims + prefix, data, jq * dims + prefix, rest)
              : head;
          if (score >= threshold) found.push(row, jq, score);
        }
      }
    }
  }
}

export async function findNearDuplicates(
  matrix: LabelledEmbeddings,
  options: DuplicateOptions = {},
): Promise<DuplicateResult> {
  const { threshold = 0.95, blockSize = 256, maxPairs = 1_000_000, onProgress, signal } = options;
  checkOptions(threshold, blockSize, maxPairs);
  const n = labelledRowCount(matrix);
  const { dims, ids } = matrix;
  const progress = new ProgressReporter(onProgress);
  const pacer = new Pacer(signal);
  progress.start(`near-duplicates ≥ ${threshold}`);

  // A quarter of the dims decides most pairs; tiny vectors are not worth splitting.
  const prefix = dims >= 32 ? Math.floor(dims / 4) : dims;
  const { data, tails } = prepareRows(matrix, n, prefix);
  const found = new PairBuffer(maxPairs);
  const tile = new Float64Array(8);
  const blocks = Math.ceil(n / blockSize);
  const totalBlockPairs = (blocks * (blocks + 1)) / 2;
  let doneBlockPairs = 0;
  for (let bi = 0; bi < blocks; bi++) {
    const i0 = bi * blockSize;
    const i1 = Math.min(n, i0 + blockSize);
    for (let bj = bi; bj < blocks; bj++) {
      const j0 = bj * blockSize;
      const j1 = Math.min(n, j0 + blockSize);
      scanBlockPair(data, tails, dims, prefix, threshold, i0, i1, j0, j1, found, tile);
      doneBlockPairs++;
      await pacer.checkpoint(() =>
        progress.update(doneBlockPairs, totalBlockPairs, `${found.length} pairs`),
      );
    }
  }

  const order = Array.from({ length: found.length }, (_, p) => p).sort(
    (x, y) =>
      (found.scores[y] as number) - (found.scores[x] as number) ||
      (found.rowsA[x] as number) - (found.rowsA[y] as number) ||
      (found.rowsB[x] as number) - (found.rowsB[y] as number),
  );
  const pairs = order.map((p): DuplicatePair => {
    const rowA = found.rowsA[p] as number;
    const rowB = found.rowsB[p] as number;
    return {
      a: ids[rowA] as string,
      b: ids[rowB] as string,
      score: found.scores[p] as number,
      rowA,
      rowB,
    };
  });
  const groups = duplicateGroups(n, pairs, ids);
  progress.finish(`${pairs.length} pairs in ${groups.length} groups`);
  return { pairs, groups };
}

/** Connected components of the pair graph: largest first, then by first row. */
export function duplicateGroups(
  n: number,
  pairs: readonly Pick<DuplicatePair, 'rowA' | 'rowB'>[],
  ids: readonly string[],
): DuplicateGroup[] {
  const sets = new UnionFind(n);
  for (const { rowA, rowB } of pairs) sets.union(rowA, rowB);
  const rows = components(
    sets,
    pairs.flatMap(({ rowA, rowB }) => [rowA, rowB]),
  );
  rows.sort((x, y) => y.length - x.length || (x[0] as number) - (y[0] as number));
  return rows.map((members, group) => ({
    group,
    members: members.map((row) => ids[row] as string),
    rows: members,
  }));
}
