/**
 * Turns a process's output chunks into log lines. Chunks arrive cut at arbitrary bytes, so a
 * line, a multi-byte UTF-8 character, or a secret can straddle two chunks. The splitter only
 * hands out whole lines, and applies `transform` (the secret masker) to a whole line before
 * anything else: a line is cut into `maxLineLength` pieces only after it was masked, so cutting
 * can never split a secret into two halves that each escape the masker.
 */
import { StringDecoder } from "node:string_decoder";

export interface LineSplitterOptions {
  /**
   * Longest piece emitted, in UTF-16 code units; a longer line is emitted as several pieces so
   * one runaway line cannot make a giant log row. Default 64 Ki.
   */
  maxLineLength?: number;
  /**
   * Most code units buffered for a line that has not ended yet. Past it (a binary dump, a
   * progress bar that never prints a newline), the buffered part is transformed and emitted
   * as if it were a line, so memory stays bounded. A secret straddling that point is not
   * masked; it takes a line of this length without a newline to get there. The line end that
   * eventually follows does not add an empty line. Default 1 Mi.
   */
  maxBufferedLength?: number;
  /** Applied to every complete line before it is cut, e.g. `(line) => masker.mask(line)`. */
  transform?: (line: string) => string;
}

const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;
const DEFAULT_MAX_BUFFERED_LENGTH = 1024 * 1024;

export class LineSplitter {
  readonly #maxLineLength: number;
  readonly #maxBufferedLength: number;
  readonly #transform: ((line: string) => string) | undefined;
  readonly #decoder = new StringDecoder("utf8");
  /**
   * The unterminated line so far, as the chunks it came in: joining them on every chunk would
   * copy the whole buffer each time, quadratic for a long line written in small pieces.
   */
  #pending: string[] = [];
  #pendingLength = 0;
  /** The buffered part of the current line was emitted at the cap: its bare line end is not a new line. */
  #continued = false;

  constructor(options: LineSplitterOptions = {}) {
    this.#maxLineLength = Math.max(2, options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
    this.#maxBufferedLength = Math.max(
      this.#maxLineLength,
      options.maxBufferedLength ?? DEFAULT_MAX_BUFFERED_LENGTH,
    );
    this.#transform = options.transform;
  }

  /** Returns the lines completed by this chunk, without their `\n` or `\r\n`. */
  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === "string" ? this.#decoder.end() + chunk : this.#decoder.write(chunk);
    const out: string[] = [];
    let start = 0;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", start)) {
      this.#emitLine(this.#take(text.slice(start, newline)), out);
      start = newline + 1;
    }
    if (start < text.length) {
      const rest = start === 0 ? text : text.slice(start);
      this.#pending.push(rest);
      this.#pendingLength += rest.length;
    }
    if (this.#pendingLength > this.#maxBufferedLength) {
      const buffered = this.#take("");
      // Keep a trailing `\r` back: it may be the first half of a `\r\n` in the next chunk.
      const held = buffered.endsWith("\r") ? "\r" : "";
      this.#emit(held ? buffered.slice(0, -1) : buffered, out);
      if (held) {
        this.#pending.push(held);
        this.#pendingLength = 1;
      }
      this.#continued = true;
    }
    return out;
  }

  /** Returns the last, unterminated line, if any. Call once when the stream ends. */
  flush(): string[] {
    const rest = this.#take(this.#decoder.end());
    const out: string[] = [];
    if (rest.length > 0) this.#emitLine(rest, out);
    this.#continued = false;
    return out;
  }

  #emitLine(raw: string, out: string[]): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const continued = this.#continued;
    this.#continued = false;
    if (continued && line === "") return;
    this.#emit(line, out);
  }

  /** The pending text followed by `tail`, emptying the pending buffer. */
  #take(tail: string): string {
    if (this.#pending.length === 0) return tail;
    const line = this.#pending.join("") + tail;
    this.#pending = [];
    this.#pendingLength = 0;
    return line;
  }

  #emit(line: string, out: string[]): void {
    const text = this.#transform ? this.#transform(line) : line;
    if (text.length <= this.#maxLineLength) {
      out.push(text);
      return;
    }
    for (let from = 0; from < text.length;) {
      let to = Math.min(from + this.#maxLineLength, text.length);
      // Never leave half of a surrogate pair at the end of a piece.
      if (to < text.length && isHighSurrogate(text.charCodeAt(to - 1))) to--;
      out.push(text.slice(from, to));
      from = to;
    }
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
