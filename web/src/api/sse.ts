import { session, toApiError } from "./client.js";

/*
 * Server-sent events over fetch: EventSource cannot send an Authorization header, and the token
 * must not go in the URL (it would end up in logs). A dropped stream is opened again from the
 * last event's id (Last-Event-ID), as EventSource would.
 */

export interface StreamMessage {
  id: string;
  event: string;
  data: string;
}

export interface StreamHandlers {
  message(message: StreamMessage): void;
  /** The server ended the stream (the run finished): it is not reopened. */
  end?(): void;
  /** A refusal (not a dropped connection): the stream stops. */
  error?(error: Error): void;
}

const RECONNECT_MS = 1_000;

/** Follows `path` until the server ends the stream or `signal` aborts. */
export async function followStream(
  path: string,
  handlers: StreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastId: string | undefined;
  while (!signal.aborted) {
    try {
      const token = session.token();
      const response = await fetch(path, {
        headers: {
          accept: "text/event-stream",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(lastId !== undefined ? { "last-event-id": lastId } : {}),
        },
        signal,
      });
      if (!response.ok || response.body === null) {
        const body: unknown = await response.json().catch(() => undefined);
        handlers.error?.(toApiError(response.status, body, `stream refused: ${response.status}`));
        return;
      }
      let ended = false;
      for await (const message of messages(response.body, signal)) {
        if (message.event === "end") {
          ended = true;
          break;
        }
        if (message.id) lastId = message.id;
        handlers.message(message);
      }
      if (ended) {
        handlers.end?.();
        return;
      }
    } catch (error) {
      if (signal.aborted) return;
      void error; // a dropped connection: open it again below
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

/** Parses the text/event-stream format (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
async function* messages(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<StreamMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const abort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener("abort", abort, { once: true });
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: StreamMessage = { id: "", event: "message", data: "" };
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line === "" || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "data") data.push(value);
          else if (field === "event") message.event = value;
          else if (field === "id") message.id = value;
        }
        if (data.length === 0 && message.event === "message") continue;
        message.data = data.join("\n");
        yield message;
      }
    }
  } finally {
    signal.removeEventListener("abort", abort);
    abort();
  }
}
