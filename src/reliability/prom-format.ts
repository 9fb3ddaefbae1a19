/**
 * Formatting that has to match what Sloth (Go) writes, so that generated rules are textually the
 * same: Go's `%g`/`%v` for floats, `strconv.FormatFloat(f, 'f', -1, 64)`, and Prometheus'
 * `model.Duration.String()`. JavaScript's own number and duration printing differs in the corners
 * (exponent thresholds, `4w` instead of `28d`), and those corners end up inside rule expressions.
 */

/** Shortest round-trip digits and decimal exponent of a finite, non-zero number. */
function shortestDigits(value: number): { negative: boolean; digits: string; exponent: number } {
  const [mantissa = "0", exp = "0"] = Math.abs(value).toExponential().split("e");
  return { negative: value < 0, digits: mantissa.replace(".", ""), exponent: Number(exp) };
}

function fixed(digits: string, exponent: number): string {
  // exponent is the power of ten of the first digit.
  if (exponent < 0) return `0.${"0".repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return fraction ? `${intPart}.${fraction}` : intPart;
}

/**
 * Go's `fmt.Sprintf("%g", f)` / `%v` (shortest representation): exponent form when the decimal
 * exponent is < -4 or >= 21 is JavaScript's rule; Go's is < -4 or >= 6 (`1e+06`, `1.0000000000331966e-05`).
 */
export function formatGoFloat(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  if (value === 0) return "0";
  const { negative, digits, exponent } = shortestDigits(value);
  const sign = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? "-" : "+";
    return `${sign}${mantissa}e${expSign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return sign + fixed(digits, exponent);
}

/** Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest digits, never an exponent. */
export function formatGoFixed(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return formatGoFloat(value);
  const { negative, digits, exponent } = shortestDigits(value);
  return (negative ? "-" : "") + fixed(digits, exponent);
}

const SECOND = 1;
const UNITS: ReadonlyArray<readonly [string, number, boolean]> = [
  ["y", 365 * 24 * 3600, true],
  ["w", 7 * 24 * 3600, true],
  ["d", 24 * 3600, false],
  ["h", 3600, false],
  ["m", 60, false],
  ["s", SECOND, false],
];

/**
 * Prometheus' `model.Duration.String()` for whole seconds: years and weeks only when exact, so
 * 30 days is `30d` but 28 days is `4w`. Sloth names its rules with this (`slo:sli_error:ratio_rate4w`).
 */
export function formatPromDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0)
    throw new RangeError(`not a whole number of seconds: ${seconds}`);
  if (seconds === 0) return "0s";
  let rest = seconds;
  let out = "";
  for (const [unit, size, exact] of UNITS) {
    if (exact && rest % size !== 0) continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}

/**
 * `{a="x", b="y"}` with keys sorted, exactly like Sloth's `labelsToPromFilter` (it sorts, joins
 * with ", " and quotes with Go's %q). Go's %q and JSON string escaping agree for label values
 * that are printable; control characters are escaped either way.
 */
export function labelsToPromFilter(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `{${parts.join(", ")}}`;
}
