/**
 * Shannon entropy in bits per character. Random keys sit above 4 (base64) or 3.5 (hex); words,
 * names and placeholders sit below 3, which is what separates `password = "hunter2hunter2"`
 * noise from a generated credential when no provider format applies.
 */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}
