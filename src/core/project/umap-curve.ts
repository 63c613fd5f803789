import { levenbergMarquardt } from 'ml-levenberg-marquardt';

/**
 * umap-learn's `find_ab_params`: fits `1 / (1 + a·x^(2b))` to the target membership curve
 * (1 below `minDist`, `exp(-(x - minDist) / spread)` above) on 300 points of `[0, 3·spread]`.
 */
export function findAbParams(spread: number, minDist: number): { a: number; b: number } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 300; i++) {
    const xi = (3 * spread * i) / 299;
    x.push(xi);
    y.push(xi < minDist ? 1 : Math.exp(-(xi - minDist) / spread));
  }
  const curve =
    ([a = 1, b = 1]: number[]) =>
    (xi: number) =>
      1 / (1 + a * Math.pow(xi, 2 * b));
  const fit = levenbergMarquardt({ x, y }, curve, {
    initialValues: [1, 1],
    minValues: [1e-3, 1e-2],
    maxIterations: 200,
    errorTolerance: 1e-10,
    gradientDifference: 1e-4,
  });
  const [a = 1, b = 1] = fit.parameterValues;
  return { a, b };
}
