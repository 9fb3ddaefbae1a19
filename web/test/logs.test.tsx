// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import Anser from "anser";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LogViewer, type Annotation, type LogLine } from "../src/components/logs/index.js";

const START = Date.UTC(2025, 0, 2, 3, 4, 5, 6);

function logOf(texts: readonly string[], stream: LogLine["stream"] = "stdout"): LogLine[] {
  return texts.map((text, seq) => ({ seq, at: START + seq * 1_000, stream, text, attempt: 1 }));
}

function rows(): HTMLElement[] {
  return screen.queryAllByRole("treeitem");
}

function row(line: number): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[role="treeitem"][data-line="${line}"]`);
}

function shownLines(): number[] {
  return rows().map((element) => Number(element.dataset["line"]));
}

function tree(): HTMLElement {
  return screen.getByRole("tree");
}

/** happy-dom has no layout and no scroll events of its own: the browser would send this one. */
function scrollTo(top: number): void {
  act(() => {
    tree().scrollTop = top;
    fireEvent.scroll(tree());
  });
}

/**
 * Heights for the log's scroller, which happy-dom does not lay out: without them a scroll
 * request is clamped to the top, as a browser would clamp it in an empty box.
 */
function layOut(viewportHeight: number): void {
  const isScroller = (element: Element) => element.classList.contains("slw-log__scroller");
  const clientHeight = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "clientHeight")!.get!;
  const scrollHeight = Object.getOwnPropertyDescriptor(Element.prototype, "scrollHeight")!.get!;
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockImplementation(function (this: HTMLElement) {
    return isScroller(this) ? viewportHeight : (clientHeight.call(this) as number);
  });
  vi.spyOn(Element.prototype, "scrollHeight", "get").mockImplementation(function (this: Element) {
    if (!isScroller(this)) return scrollHeight.call(this) as number;
    return parseFloat(this.querySelector<HTMLElement>(".slw-log__canvas")?.style.height ?? "0");
  });
}

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe("ANSI colours", () => {
  it("turns SGR sequences into styled spans and drops other escapes", () => {
    render(
      <LogViewer
        lines={logOf([
          "\x1b[31mred\x1b[0m plain \x1b[1;92mbold bright\x1b[0m",
          "\x1b[38;5;196mpalette\x1b[0m \x1b[48;2;10;20;30mtruecolor\x1b[0m",
          "\x1b]8;;https://example.com\x07link\x1b]8;;\x07 \x1b[2K\x1b[1Gcleared",
          "10%\r50%\r100%",
        ])}
      />,
    );
    const first = row(1)!;
    expect(within(first).getByText("red")).toHaveProperty("className", "ansi-red-fg");
    expect(within(first).getByText("bold bright").className.split(" ")).toEqual(
      expect.arrayContaining(["ansi-bright-green-fg", "ansi-bold"]),
    );
    expect(first.querySelector(".slw-log__text")?.textContent).toBe("red plain bold bright");

    const second = row(2)!;
    expect(within(second).getByText("palette").style.color).toBe("rgb(255, 0, 0)");
    expect(within(second).getByText("truecolor").style.backgroundColor).toBe("rgb(10, 20, 30)");

    expect(row(3)!.querySelector(".slw-log__text")?.textContent).toBe("link cleared");
    expect(row(4)!.querySelector(".slw-log__text")?.textContent).toBe("100%");
    expect(tree().textContent).not.toContain("\x1b");
  });

  it("shows markup in a line as text", () => {
    render(<LogViewer lines={logOf(['<img src=x onerror="alert(1)"><b>bold</b>'])} />);
    expect(tree().querySelector("img, b")).toBeNull();
    expect(row(1)!.textContent).toContain('<img src=x onerror="alert(1)"><b>bold</b>');
  });
});

describe("groups", () => {
  const log = logOf([
    "before",
    "##[group]Install",
    "inside one",
    "##[group]Nested",
    "deep",
    "##[endgroup]",
    "inside two",
    "##[endgroup]",
    "after",
  ]);

  it("starts collapsed and opens and closes with clicks, nested groups included", () => {
    render(<LogViewer lines={log} />);
    expect(shownLines()).toEqual([1, 2, 9]);
    const install = row(2)!;
    expect(install.getAttribute("aria-expanded")).toBe("false");
    expect(install.textContent).toContain("Install");
    expect(install.textContent).not.toContain("##[group]");

    fireEvent.click(install);
    expect(shownLines()).toEqual([1, 2, 3, 4, 7, 9]);
    expect(row(2)!.getAttribute("aria-expanded")).toBe("true");
    expect(row(3)!.getAttribute("aria-level")).toBe("2");

    fireEvent.click(row(4)!);
    // The group ends (lines 6 and 8) are never shown.
    expect(shownLines()).toEqual([1, 2, 3, 4, 5, 7, 9]);
    expect(row(5)!.getAttribute("aria-level")).toBe("3");

    fireEvent.click(row(2)!);
    expect(shownLines()).toEqual([1, 2, 9]);
  });

  it("opens and closes groups from the keyboard", () => {
    const onLineLink = vi.fn();
    render(<LogViewer lines={log} onLineLink={onLineLink} />);
    const log_ = tree();
    log_.focus();
    fireEvent.keyDown(log_, { key: "Home" });
    expect(log_.getAttribute("aria-activedescendant")).toBe(row(1)!.id);
    fireEvent.keyDown(log_, { key: "ArrowDown" });
    expect(log_.getAttribute("aria-activedescendant")).toBe(row(2)!.id);
    fireEvent.keyDown(log_, { key: "ArrowRight" });
    expect(shownLines()).toEqual([1, 2, 3, 4, 7, 9]);
    fireEvent.keyDown(log_, { key: "ArrowRight" });
    expect(log_.getAttribute("aria-activedescendant")).toBe(row(3)!.id);
    fireEvent.keyDown(log_, { key: "Enter" });
    expect(onLineLink).toHaveBeenCalledWith(3);
    fireEvent.keyDown(log_, { key: "ArrowLeft" });
    expect(log_.getAttribute("aria-activedescendant")).toBe(row(2)!.id);
    fireEvent.keyDown(log_, { key: "ArrowLeft" });
    expect(shownLines()).toEqual([1, 2, 9]);
  });

  it("expands and collapses all groups", () => {
    render(<LogViewer lines={log} />);
    fireEvent.click(screen.getByRole("button", { name: "Expand all" }));
    expect(shownLines()).toEqual([1, 2, 3, 4, 5, 7, 9]);
    fireEvent.click(screen.getByRole("button", { name: "Collapse all" }));
    expect(shownLines()).toEqual([1, 2, 9]);
  });
});

describe("search", () => {
  const log = logOf([
    "a needle at the top",
    "##[group]First",
    "hay",
    "NEEDLE, twice: needle",
    "##[endgroup]",
    "##[group]Second",
    "the last \x1b[33mnee\x1b[0mdle",
    "##[endgroup]",
  ]);

  function count(): string {
    return document.querySelector(".slw-log__count")?.textContent ?? "";
  }

  function current(): HTMLElement | null {
    return document.querySelector("mark.is-current");
  }

  it("counts matches in collapsed groups and opens the group of the current one", () => {
    render(<LogViewer lines={log} />);
    expect(shownLines()).toEqual([1, 2, 6]);
    const box = screen.getByRole("searchbox", { name: "Search the log" });
    fireEvent.change(box, { target: { value: "needle" } });
    expect(count()).toBe("1 of 4");
    expect(current()?.closest("[role=treeitem]")).toBe(row(1));
    expect(document.querySelectorAll("mark")).toHaveLength(1);

    fireEvent.keyDown(box, { key: "Enter" });
    expect(count()).toBe("2 of 4");
    expect(shownLines()).toEqual([1, 2, 3, 4, 6]);
    expect(current()?.closest("[role=treeitem]")).toBe(row(4));
    expect(current()?.textContent).toBe("NEEDLE");
    expect(row(4)!.querySelectorAll("mark")).toHaveLength(2);

    fireEvent.keyDown(box, { key: "Enter" });
    expect(count()).toBe("3 of 4");
    expect(current()?.textContent).toBe("needle");

    // The match spans two differently coloured runs; the second group opens, the first closes.
    fireEvent.keyDown(box, { key: "Enter" });
    expect(count()).toBe("4 of 4");
    expect(shownLines()).toEqual([1, 2, 6, 7]);
    expect([...row(7)!.querySelectorAll("mark")].map((mark) => mark.textContent)).toEqual(["nee", "dle"]);

    fireEvent.keyDown(box, { key: "Enter" });
    expect(count()).toBe("1 of 4");
    fireEvent.keyDown(box, { key: "Enter", shiftKey: true });
    expect(count()).toBe("4 of 4");

    fireEvent.keyDown(box, { key: "Escape" });
    expect((box as HTMLInputElement).value).toBe("");
    expect(count()).toBe("");
    expect(document.querySelectorAll("mark")).toHaveLength(0);
  });

  it("says when nothing matches and goes to the search box on Ctrl+F or Cmd+F", () => {
    render(<LogViewer lines={log} />);
    tree().focus();
    fireEvent.keyDown(tree(), { key: "f", ctrlKey: true });
    const box = screen.getByRole("searchbox", { name: "Search the log" });
    expect(document.activeElement).toBe(box);
    tree().focus();
    fireEvent.keyDown(tree(), { key: "f", metaKey: true });
    expect(document.activeElement).toBe(box);
    fireEvent.change(box, { target: { value: "straw" } });
    expect(count()).toBe("No matches");
    expect(screen.getByRole("button", { name: "Next match" })).toHaveProperty("disabled", true);
  });

  it("finds matches in lines that arrive later", () => {
    const { rerender } = render(<LogViewer lines={log.slice(0, 4)} live />);
    fireEvent.change(screen.getByRole("searchbox"), { target: { value: "needle" } });
    expect(count()).toBe("1 of 3");
    rerender(<LogViewer lines={log} live />);
    expect(count()).toBe("1 of 4");
  });
});

describe("line links and highlight", () => {
  it("reports the clicked line number and renders links with lineHref", () => {
    const onLineLink = vi.fn();
    render(<LogViewer lines={logOf(["one", "two"])} onLineLink={onLineLink} lineHref={(n) => `#L${n}`} />);
    const number = within(row(2)!).getByRole("link", { name: "2" });
    expect(number.getAttribute("href")).toBe("#L2");
    fireEvent.click(number);
    expect(onLineLink).toHaveBeenCalledWith(2);
  });

  it("scrolls to the highlighted line deep in a large log, opening its group", () => {
    const texts = Array.from({ length: 5_000 }, (_, i) => `line ${i + 1}`);
    texts[2_000] = "##[group]Tests";
    texts[4_000] = "##[endgroup]";
    layOut(400);
    render(<LogViewer lines={logOf(texts)} highlight={3_000} height={400} />);
    // The viewer asked the scroller to move; the browser would then report the scroll.
    expect(tree().scrollTop).toBeGreaterThan(0);
    act(() => void fireEvent.scroll(tree()));
    const target = row(3_000)!;
    expect(target).not.toBeNull();
    expect(target.getAttribute("aria-current")).toBe("location");
    expect(target.className).toContain("is-highlighted");
    expect(row(2_001)?.getAttribute("aria-expanded") ?? "true").toBe("true");
    expect(shownLines()).not.toContain(1);
  });

  it("highlights a line that arrives after the highlight was asked for", () => {
    const texts = Array.from({ length: 300 }, (_, i) => `line ${i + 1}`);
    layOut(400);
    const { rerender } = render(<LogViewer lines={logOf(texts.slice(0, 10))} live highlight={250} />);
    expect(document.querySelector(".is-highlighted")).toBeNull();
    rerender(<LogViewer lines={logOf(texts)} live highlight={250} />);
    act(() => void fireEvent.scroll(tree()));
    expect(row(250)?.className).toContain("is-highlighted");
  });
});

describe("timestamps", () => {
  it("toggles a time column with the line's time", () => {
    render(<LogViewer lines={logOf(["one"])} />);
    expect(row(1)!.querySelector("time")).toBeNull();
    const toggle = screen.getByRole("button", { name: "Timestamps" });
    fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-pressed")).toBe("true");
    expect(row(1)!.querySelector("time")?.getAttribute("dateTime")).toBe("2025-01-02T03:04:05.006Z");
  });
});

describe("download", () => {
  async function download(): Promise<string> {
    let blob: Blob | undefined;
    vi.spyOn(URL, "createObjectURL").mockImplementation((object) => {
      blob = object as Blob;
      return "blob:log";
    });
    vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => undefined);
    // Keep happy-dom from following the link once the viewer has set it.
    const stop = (event: Event) => event.preventDefault();
    document.addEventListener("click", stop);
    const link = screen.getByRole("link", { name: "Download" });
    fireEvent.click(link);
    document.removeEventListener("click", stop);
    expect(link.getAttribute("href")).toBe("blob:log");
    expect(link.getAttribute("download")).toBe("build-step-2.log");
    expect(blob).toBeDefined();
    return blob!.text();
  }

  const lines = [
    ...logOf([
      "##[group]Build",
      "\x1b[1;32m✓\x1b[0m compiled \x1b]8;;https://x\x07docs\x1b]8;;\x07",
      "##[endgroup]",
    ]),
    { seq: 3, at: START + 3_000, stream: "system" as const, text: "cache hit" },
  ];

  it("is the plain text without escape codes", async () => {
    render(<LogViewer lines={lines} downloadName="build-step-2.log" />);
    const text = await download();
    expect(text).not.toContain("\x1b");
    expect(text).toBe("##[group]Build\n✓ compiled docs\n##[endgroup]\n[slipway] cache hit\n");
  });

  it("carries timestamps when they are shown", async () => {
    render(<LogViewer lines={lines} downloadName="build-step-2.log" defaultTimestamps />);
    const text = await download();
    expect(text.split("\n")[0]).toBe("2025-01-02T03:04:05.006Z ##[group]Build");
  });
});

describe("annotations", () => {
  const log = logOf([
    "compiling",
    "##[group]Type check",
    "checking src/a.ts",
    "##[error]Type 'string' is not assignable to type 'number'.",
    "  at line 12",
    "##[endgroup]",
    "##[warning]Node 16 is deprecated",
  ]);
  const annotations: Annotation[] = [
    {
      level: "error",
      message: "Type 'string' is not assignable to type 'number'.\n  at line 12",
      file: "src/a.ts",
      line: 12,
      column: 3,
    },
    { level: "warning", message: "Node 16 is deprecated", title: "Runtime" },
    { level: "notice", message: "printed nowhere in this log" },
  ];

  it("lists them above the log and jumps to their lines", () => {
    const onLineLink = vi.fn();
    render(<LogViewer lines={log} annotations={annotations} onLineLink={onLineLink} />);
    const list = screen.getByRole("region", { name: "Annotations" });
    expect(within(list).getByRole("heading").textContent).toBe("1 error, 1 warning, 1 notice");
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(3);
    expect(items[0]!.textContent).toContain("src/a.ts:12:3");
    expect(items[1]!.textContent).toContain("Runtime: Node 16 is deprecated");
    // The notice's line is not in the log: it is listed, not a link.
    expect(within(items[2]!).queryByRole("button")).toBeNull();

    // The error's line is inside a collapsed group.
    expect(row(4)).toBeNull();
    expect(row(4 + 0)).toBeNull();
    fireEvent.click(within(items[0]!).getByRole("button"));
    expect(onLineLink).toHaveBeenCalledWith(4);
    const error = row(4)!;
    expect(error).not.toBeNull();
    expect(error.className).toContain("is-active");
    expect(error.textContent).toContain("Error: Type 'string' is not assignable");
    expect(tree().getAttribute("aria-activedescendant")).toBe(error.id);
    expect(document.activeElement).toBe(tree());

    fireEvent.click(within(items[1]!).getByRole("button"));
    expect(onLineLink).toHaveBeenLastCalledWith(7);
  });

  it("matches repeated messages to their lines in order", () => {
    const repeated = logOf(["##[error]boom", "x", "##[error]boom"]);
    const onLineLink = vi.fn();
    render(
      <LogViewer
        lines={repeated}
        annotations={[
          { level: "error", message: "boom" },
          { level: "error", message: "boom" },
        ]}
        onLineLink={onLineLink}
      />,
    );
    const buttons = within(screen.getByRole("region", { name: "Annotations" })).getAllByRole("button");
    fireEvent.click(buttons[1]!);
    expect(onLineLink).toHaveBeenCalledWith(3);
  });
});

describe("step summary", () => {
  it("renders Markdown and keeps raw HTML as text", () => {
    const summary = [
      "## Results",
      "",
      "**3** passed, `1` skipped",
      "",
      "<script>window.hacked = true</script>",
      "",
      '<img src="x" onerror="window.hacked = true">',
      "",
      "[docs](javascript:alert(1)) and [site](https://example.com)",
    ].join("\n");
    render(<LogViewer lines={logOf(["done"])} summary={summary} />);
    const body = document.querySelector(".slw-log__summary-body")!;
    expect(within(body as HTMLElement).getByRole("heading", { level: 2 }).textContent).toBe("Results");
    expect(body.querySelector("strong")?.textContent).toBe("3");
    expect(body.querySelector("code")?.textContent).toBe("1");
    expect(body.querySelector("script")).toBeNull();
    expect(body.querySelector("img")).toBeNull();
    expect(body.textContent).toContain("<script>window.hacked = true</script>");
    expect(body.textContent).toContain('<img src="x" onerror="window.hacked = true">');
    const links = [...body.querySelectorAll("a")];
    expect(links.map((a) => a.textContent)).toEqual(["docs", "site"]);
    expect(links[0]!.getAttribute("href") ?? "").not.toContain("javascript");
    expect(links[1]!.getAttribute("href")).toBe("https://example.com");
    expect(links[1]!.getAttribute("rel")).toBe("noreferrer noopener");
    expect((window as unknown as { hacked?: boolean }).hacked).toBeUndefined();
  });

  it("renders GitHub's tables and task lists, as summaries written for GitHub Actions use them", () => {
    const summary = [
      "| suite | passed | failed |",
      "| ----- | -----: | -----: |",
      "| api   | 41     | 1      |",
      "| ui    | 12     | 0      |",
      "",
      "- [x] lint",
      "- [ ] deploy",
      "",
      "~~flaky~~ fixed",
    ].join("\n");
    render(<LogViewer lines={logOf(["done"])} summary={summary} />);
    const body = document.querySelector(".slw-log__summary-body")!;
    const cells = [...body.querySelectorAll("table tr")].map((tr) =>
      [...tr.querySelectorAll("th, td")].map((cell) => cell.textContent?.trim()),
    );
    expect(cells).toEqual([
      ["suite", "passed", "failed"],
      ["api", "41", "1"],
      ["ui", "12", "0"],
    ]);
    const boxes = [...body.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')];
    expect(boxes.map((b) => b.checked)).toEqual([true, false]);
    expect(body.querySelector("del")?.textContent).toBe("flaky");
  });
});

describe("large logs", () => {
  const big = Array.from(
    { length: 50_000 },
    (_, i) => `\x1b[36m${i + 1}\x1b[0m compiling module-${i + 1}.ts`,
  );

  it("renders only a window of a 50,000-line log and parses colours only for it", () => {
    const parse = vi.spyOn(Anser, "ansiToJson");
    render(<LogViewer lines={logOf(big)} height={600} />);
    const shown = rows().length;
    expect(shown).toBeGreaterThan(20);
    expect(shown).toBeLessThan(100);
    expect(parse.mock.calls.length).toBeLessThanOrEqual(shown);
    const canvas = document.querySelector<HTMLElement>(".slw-log__canvas")!;
    expect(canvas.style.height).toBe(`${50_000 * 20}px`);
    expect(shownLines()[0]).toBe(1);

    scrollTo(25_000 * 20);
    const after = shownLines();
    expect(after).toContain(25_001);
    expect(after).not.toContain(1);
    expect(after.length).toBeLessThan(100);
    expect(parse.mock.calls.length).toBeLessThan(200);
  });
});

describe("live tail", () => {
  it("shows the group being written open and closes it when it ends", () => {
    const texts = ["start", "##[group]Install", "fetching", "fetched", "##[endgroup]", "done"];
    const { rerender } = render(<LogViewer lines={[]} live />);
    expect(screen.getByText("Waiting for output…")).toBeTruthy();
    rerender(<LogViewer lines={logOf(texts.slice(0, 3))} live />);
    expect(shownLines()).toEqual([1, 2, 3]);
    expect(row(2)!.getAttribute("aria-expanded")).toBe("true");
    rerender(<LogViewer lines={logOf(texts)} live />);
    expect(shownLines()).toEqual([1, 2, 6]);
  });

  it("follows new lines at the bottom, and stops moving when the reader scrolls up", () => {
    layOut(400);
    const texts = ["##[group]Install", ...Array.from({ length: 100 }, (_, i) => `fetch ${i}`)];
    const { rerender } = render(<LogViewer lines={logOf(texts)} live />);
    expect(tree().scrollTop).toBe(101 * 20);
    rerender(<LogViewer lines={logOf([...texts, "fetch 100"])} live />);
    expect(tree().scrollTop).toBe(102 * 20);

    scrollTo(200);
    expect(screen.getByRole("button", { name: "Follow latest ↓" })).toBeTruthy();
    rerender(<LogViewer lines={logOf([...texts, "fetch 100", "##[endgroup]", "done"])} live />);
    expect(tree().scrollTop).toBe(200);
    // The group ended while the reader was in it: it stays open rather than pull the lines away.
    expect(row(1)!.getAttribute("aria-expanded")).toBe("true");
    expect(shownLines()).toContain(20);

    fireEvent.click(screen.getByRole("button", { name: "Follow latest ↓" }));
    // 104 lines, of which the group's end is not shown.
    expect(tree().scrollTop).toBe(103 * 20);
    expect(screen.queryByRole("button", { name: "Follow latest ↓" })).toBeNull();
  });

  it("starts over when given another log", () => {
    const { rerender } = render(<LogViewer lines={logOf(["first log", "line two"])} />);
    expect(row(1)!.textContent).toContain("first log");
    rerender(<LogViewer lines={logOf(["second log"])} />);
    expect(shownLines()).toEqual([1]);
    expect(row(1)!.textContent).toContain("second log");
    rerender(<LogViewer lines={[]} />);
    expect(screen.getByText("No output.")).toBeTruthy();
  });
});
