/**
 * Quotes a word for a POSIX shell so that it arrives as exactly one argument, whatever it holds.
 * Single quotes take everything literally; a single quote itself is closed, escaped and reopened.
 * Words made only of characters no shell treats specially stay bare, which keeps logs readable;
 * `=` is not among them, as a bare `A=b` in command position would be an assignment.
 */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_./:@%+,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Quotes each word and joins them into one command line. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(" ");
}
