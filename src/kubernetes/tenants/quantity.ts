const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The value of a Kubernetes quantity (`500m`, `8Gi`, `1e3`) as a number, close enough to compare
 * two of them; undefined when it is not one. The schema already checked the grammar.
 */
export function quantityValue(text: string): number | undefined {
  const match = /^\+?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/.exec(text);
  if (!match) return undefined;
  const suffix = match[2] ?? "";
  if (/^[eE]/.test(suffix)) return Number(`${match[1]}${suffix}`);
  const factor = SUFFIX[suffix];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}
