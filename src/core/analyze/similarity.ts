/** Pairwise cosine similarity of a handful of embeddings, and the matrix as CSV. */
import Papa from 'papaparse';

/**
 * `matrix[i][j]` = cosine of rows i and j, accumulated in double precision; the diagonal of a
 * non-zero row is exactly 1. A zero row has no direction: its similarities are 0.
 */
export function cosineSimilarityMatrix(rows: readonly Float32Array[]): number[][] {
  const dims = rows[0]?.length ?? 0;
  for (const [i, row] of rows.entries()) {
    if (row.length !== dims) throw new RangeError(`Row ${i} has ${row.length} dims, not ${dims}.`);
  }
  const norms = rows.map((row) => {
    let sum = 0;
    for (const value of row) sum += value * value;
    return Math.sqrt(sum);
  });
  return rows.map((a, i) =>
    rows.map((b, j) => {
      const na = norms[i] as number;
      const nb = norms[j] as number;
      if (na === 0 || nb === 0) return 0;
      if (i === j) return 1;
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += (a[d] as number) * (b[d] as number);
      return Math.min(1, Math.max(-1, dot / (na * nb)));
    }),
  );
}

/** A header row of labels, then one row per label: its label and its similarities. */
export function similarityMatrixToCsv(
  labels: readonly string[],
  matrix: readonly (readonly number[])[],
  digits = 3,
): string {
  if (matrix.length !== labels.length) {
    throw new RangeError(`${labels.length} labels for a ${matrix.length}-row matrix.`);
  }
  return Papa.unparse(
    {
      fields: ['text', ...labels],
      data: matrix.map((row, i) => [labels[i], ...row.map((value) => value.toFixed(digits))]),
    },
    { newline: '\n' },
  );
}
