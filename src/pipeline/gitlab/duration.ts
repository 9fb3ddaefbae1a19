/**
 * GitLab durations (`timeout`, `start_in`, `artifacts:expire_in`...) are parsed by the
 * ChronicDuration gem: "3600" (seconds), "42 seconds", "3 mins 4 sec", "2h20min", "1h 30m",
 * "3 weeks and 2 days", "one hour". This covers the forms GitLab documents.
 * https://docs.gitlab.com/ci/yaml/#artifactsexpire_in
 */

const UNIT_SECONDS: readonly [RegExp, number][] = [
  [/^(s|secs?|seconds?)$/, 1],
  [/^(m|mins?|minutes?)$/, 60],
  [/^(h|hrs?|hours?)$/, 3600],
  [/^(d|days?)$/, 86_400],
  [/^(w|wks?|weeks?)$/, 604_800],
  // ChronicDuration's month and year: 30 and 365 days.
  [/^(mos?|months?)$/, 2_592_000],
  [/^(y|yrs?|years?)$/, 31_536_000],
];

const WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  ninety: 90,
};

/** Seconds, or undefined when the text is not a duration. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === "number") return input >= 0 ? input : undefined;
  const text = input.trim().toLowerCase();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const tokens = text
    .replace(/,/g, " ")
    .replace(/(\d)([a-z])/g, "$1 $2")
    .replace(/([a-z])(\d)/g, "$1 $2")
    .split(/\s+/)
    .filter((t) => t !== "" && t !== "and");
  let total = 0;
  let pending: number | undefined;
  let sawUnit = false;
  for (const token of tokens) {
    if (/^\d+(\.\d+)?$/.test(token) || WORDS[token] !== undefined) {
      if (pending !== undefined) return undefined;
      pending = WORDS[token] ?? Number(token);
      continue;
    }
    const unit = UNIT_SECONDS.find(([pattern]) => pattern.test(token));
    if (!unit || pending === undefined) return undefined;
    total += pending * unit[1];
    pending = undefined;
    sawUnit = true;
  }
  if (pending !== undefined) {
    // A trailing bare number counts as seconds ("1 min 30").
    if (!sawUnit) return undefined;
    total += pending;
  }
  return sawUnit ? total : undefined;
}

/** "1h 30m" style, for messages. */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join(" ");
}
