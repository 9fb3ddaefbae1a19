/**
 * Secret masking for step output. Every log line passes through `mask()` before it is stored,
 * printed or streamed, so it is on the hot path and must not slow down as secrets are added.
 *
 * Matching uses an Aho-Corasick automaton over UTF-16 code units: one pass over the text finds
 * every occurrence of every registered form, whatever the number of secrets. A combined RegExp
 * alternation was the obvious alternative, but V8 tries the alternatives one by one at each
 * position, so its cost grows with the number of secrets, and a regex finds only
 * non-overlapping matches: with secrets `abcd` and `cdef`, `abcdef` would become `***ef`.
 * Here every matched range is merged with the ranges it overlaps or touches, the way GitHub's
 * runner does it, so overlapping secrets and a secret containing another mask whole.
 */

/** What a masked secret is replaced with. */
export const MASK = "***";

export interface SecretMaskerOptions {
  /**
   * Shortest line of a multi-line secret, and shortest derived form (base64 fragment...), that
   * is registered. Shorter ones would mask common text everywhere (`-----`, `}`, `==`).
   * The secret as a whole is always registered. Default 4.
   */
  minLength?: number;
}

const ROOT = 0;
/** Root transitions are looked up for most characters of a line without secrets: make them an array read. */
const ROOT_TABLE_SIZE = 0x10000;

interface Automaton {
  rootNext: Int32Array;
  next: Map<number, number>[];
  fail: Int32Array;
  /** Length of the longest registered form that is a suffix of the node's string; 0 if none. */
  longestMatch: Int32Array;
}

export class SecretMasker {
  readonly #minLength: number;
  readonly #secrets = new Set<string>();
  /** Every string that is masked: raw secrets, their lines and their encodings. */
  readonly #forms = new Set<string>();
  #automaton: Automaton | undefined;

  constructor(options: SecretMaskerOptions = {}) {
    this.#minLength = options.minLength ?? 4;
  }

  /** Number of secrets registered (not counting their derived forms). */
  get size(): number {
    return this.#secrets.size;
  }

  /** Registers a secret. Empty and whitespace-only values are ignored: they would mask every space. */
  add(secret: string): void {
    if (secret.trim() === "" || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    const before = this.#forms.size;
    for (const form of secretForms(secret, this.#minLength)) this.#forms.add(form);
    if (this.#forms.size !== before) this.#automaton = undefined;
  }

  mask(text: string): string {
    if (this.#forms.size === 0 || text.length === 0) return text;
    this.#automaton ??= buildAutomaton(this.#forms);
    const { rootNext, next, fail, longestMatch } = this.#automaton;

    // Merged [start, end) ranges, kept sorted; a new range can swallow several earlier ones
    // because a long form ending here may start before shorter matches found earlier.
    const starts: number[] = [];
    const ends: number[] = [];
    let state = ROOT;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      for (;;) {
        if (state === ROOT) {
          state = rootNext[c] ?? ROOT;
          break;
        }
        const to = next[state]?.get(c);
        if (to !== undefined) {
          state = to;
          break;
        }
        state = fail[state] ?? ROOT;
      }
      const length = longestMatch[state] ?? 0;
      if (length === 0) continue;
      let start = i + 1 - length;
      while (starts.length > 0 && (ends[ends.length - 1] ?? 0) >= start) {
        start = Math.min(start, starts.pop() ?? start);
        ends.pop();
      }
      starts.push(start);
      ends.push(i + 1);
    }
    if (starts.length === 0) return text;

    let out = "";
    let from = 0;
    for (let k = 0; k < starts.length; k++) {
      out += text.slice(from, starts[k]) + MASK;
      from = ends[k] ?? from;
    }
    return out + text.slice(from);
  }
}

/**
 * The forms a secret can take in a log: a script may print it base64-encoded (a Basic auth
 * header, a Kubernetes secret), URL-encoded (a connection string) or JSON-escaped (a config
 * dump), or a multi-line secret (a PEM key) one line at a time, since logs are masked per line.
 */
function secretForms(secret: string, minLength: number): string[] {
  const forms = [secret];
  const derived: string[] = [];
  const values = secret.trim() === secret ? [secret] : [secret, secret.trim()];
  for (const value of values) {
    derived.push(encodeURIComponentSafe(value), JSON.stringify(value).slice(1, -1));
    for (const b64 of base64Forms(value)) derived.push(b64, b64.replaceAll("+", "-").replaceAll("/", "_"));
  }
  if (/[\r\n]/.test(secret)) {
    // Trimmed: the indentation around a line is not secret, and a blank but indented line of
    // a PEM or YAML secret would otherwise mask every run of spaces.
    for (const line of secret.split(/\r?\n|\r/)) derived.push(line.trim());
  }
  for (const form of derived) if (form.length >= minLength && form.trim() !== "") forms.push(form);
  return forms;
}

/** encodeURIComponent throws on lone surrogates; such a secret simply has no URL-encoded form. */
function encodeURIComponentSafe(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return "";
  }
}

/**
 * The parts of the secret's base64 encoding that do not depend on the bytes around it, for the
 * secret starting at a byte offset of 0, 1 or 2 modulo 3 inside a larger encoded blob (e.g.
 * `user:secret` encoded whole). Base64 maps 3 bytes to 4 characters, so characters that mix
 * bits of the secret with bits of a neighbouring byte are unstable and are trimmed: the first
 * `offset + 1` characters when the secret does not start a group (they hold the preceding
 * bytes), and the last one when it does not end a group (it holds the following byte, or the
 * padding).
 * GitHub's runner does the same (Base64StringEscapeShift in
 * https://github.com/actions/runner/blob/main/src/Sdk/DTLogging/Logging/ValueEncoders.cs).
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms: string[] = [];
  for (const offset of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = shifted.toString("base64").replace(/=+$/, "");
    const head = offset === 0 ? 0 : offset + 1;
    const tail = shifted.length % 3 === 0 ? 0 : 1;
    if (encoded.length - tail > head) forms.push(encoded.slice(head, encoded.length - tail));
  }
  return forms;
}

function buildAutomaton(forms: Iterable<string>): Automaton {
  const next: Map<number, number>[] = [new Map()];
  const depth: number[] = [0];
  const terminal: number[] = [0];
  for (const form of forms) {
    let state = ROOT;
    for (let i = 0; i < form.length; i++) {
      const c = form.charCodeAt(i);
      const transitions = next[state] as Map<number, number>;
      let to = transitions.get(c);
      if (to === undefined) {
        to = next.length;
        transitions.set(c, to);
        next.push(new Map());
        depth.push((depth[state] ?? 0) + 1);
        terminal.push(0);
      }
      state = to;
    }
    terminal[state] = form.length;
  }

  const count = next.length;
  const fail = new Int32Array(count);
  const longestMatch = new Int32Array(count);
  const rootNext = new Int32Array(ROOT_TABLE_SIZE);
  // Breadth-first, so a node's failure target (always shallower) is complete before the node.
  const queue: number[] = [];
  for (const [c, child] of next[ROOT] as Map<number, number>) {
    rootNext[c] = child;
    fail[child] = ROOT;
    longestMatch[child] = terminal[child] ?? 0;
    queue.push(child);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] as number;
    for (const [c, child] of next[state] as Map<number, number>) {
      let f = fail[state] ?? ROOT;
      let target: number | undefined;
      for (;;) {
        target = f === ROOT ? rootNext[c] || undefined : next[f]?.get(c);
        if (target !== undefined || f === ROOT) break;
        f = fail[f] ?? ROOT;
      }
      fail[child] = target ?? ROOT;
      // Forms ending here are this node's own and those ending at its failure target (a suffix).
      longestMatch[child] = Math.max(terminal[child] ?? 0, longestMatch[target ?? ROOT] ?? 0);
      queue.push(child);
    }
  }
  return { rootNext, next, fail, longestMatch };
}
