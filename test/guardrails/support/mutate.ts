import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** A small seeded PRNG (mulberry32), so a failing mutation can be replayed from its seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces that stress tokenizers: quotes, escapes, continuations, here-documents, YAML syntax. */
const PIECES = [
  "\\",
  "\n",
  '"',
  "'",
  "`",
  "$(",
  ")",
  "${",
  "}",
  "${{",
  "}}",
  "<<EOF",
  "<<-",
  "EOF\n",
  "[",
  "]",
  "{",
  "#",
  " # ",
  "--",
  "=",
  "|",
  "&&",
  ";",
  ":",
  "- ",
  "  ",
  "\t",
  "!reference [",
  "&a ",
  "*a",
  "<<: ",
  "\r\n",
  "\u00e9",
  "\0",
];

/** Mutates `text`: deletes, inserts, duplicates or truncates, a few times. */
export function mutate(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let n = 0; n < edits; n++) {
    const at = Math.floor(random() * (out.length + 1));
    const choice = random();
    if (choice < 0.3)
      out = out.slice(0, at) + out.slice(Math.min(out.length, at + 1 + Math.floor(random() * 12)));
    else if (choice < 0.7)
      out = out.slice(0, at) + (PIECES[Math.floor(random() * PIECES.length)] ?? "") + out.slice(at);
    else if (choice < 0.85) {
      const lines = out.split("\n");
      const line = Math.floor(random() * lines.length);
      lines.splice(line, 0, lines[line] ?? "");
      out = lines.join("\n");
    } else out = out.slice(0, at);
  }
  return out;
}

/** Every file under `dir` whose path matches `pattern`. */
export function filesUnder(dir: string, pattern: RegExp): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const visit = (current: string): void => {
    for (const name of readdirSync(current)) {
      const full = join(current, name);
      if (statSync(full).isDirectory()) visit(full);
      else if (pattern.test(full)) out.push({ path: full, text: readFileSync(full, "utf8") });
    }
  };
  visit(dir);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
