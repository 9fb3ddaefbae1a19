import { describe, expect, it, onTestFinished } from "vitest";
import { ConfigError } from "../../src/errors/index.js";
import { DEFAULT_FIRE_LIMIT, parseSchedule } from "../../src/pipeline/schedule.js";

const at = (iso: string): Date => new Date(iso);
const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());
const schedule = (cron: string) =>
  parseSchedule({ cron, file: ".github/workflows/nightly.yml", line: 4, column: 14 });

function configError(
  cron: string,
  position: { line?: number; column?: number } = { line: 4, column: 14 },
): ConfigError {
  try {
    parseSchedule({ cron, file: ".github/workflows/nightly.yml", ...position });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected '${cron}' to be refused`);
}

describe("parseSchedule", () => {
  it("fires every 5 minutes, strictly after `after` and up to `until` inclusive", () => {
    const every5 = schedule("*/5 * * * *");
    expect(iso(every5.firesBetween(at("2024-03-01T10:00:00Z"), at("2024-03-01T10:20:00Z")))).toEqual([
      "2024-03-01T10:05:00.000Z",
      "2024-03-01T10:10:00.000Z",
      "2024-03-01T10:15:00.000Z",
      "2024-03-01T10:20:00.000Z",
    ]);
    expect(iso(every5.firesBetween(at("2024-03-01T10:04:59.999Z"), at("2024-03-01T10:05:00Z")))).toEqual([
      "2024-03-01T10:05:00.000Z",
    ]);
    expect(every5.firesBetween(at("2024-03-01T10:05:00Z"), at("2024-03-01T10:09:59Z"))).toEqual([]);
    expect(every5.firesBetween(at("2024-03-01T10:05:00Z"), at("2024-03-01T10:00:00Z"))).toEqual([]);
    expect(every5.next(at("2024-03-01T10:05:00Z"))?.toISOString()).toBe("2024-03-01T10:10:00.000Z");
    expect(every5.cron).toBe("*/5 * * * *");
  });

  it("honours day-of-week, by number and by name", () => {
    // 2024-03-01 is a Friday.
    const weekdays = schedule("30 6 * * 1-5");
    expect(iso(weekdays.firesBetween(at("2024-03-01T07:00:00Z"), at("2024-03-06T00:00:00Z")))).toEqual([
      "2024-03-04T06:30:00.000Z",
      "2024-03-05T06:30:00.000Z",
    ]);
    expect(
      iso(schedule("30 6 * * MON-FRI").firesBetween(at("2024-03-01T07:00:00Z"), at("2024-03-06T00:00:00Z"))),
    ).toEqual(["2024-03-04T06:30:00.000Z", "2024-03-05T06:30:00.000Z"]);
    // 0 and 7 are both Sunday.
    expect(schedule("0 0 * * 0").next(at("2024-03-01T00:00:00Z"))?.toISOString()).toBe(
      "2024-03-03T00:00:00.000Z",
    );
    expect(schedule("0 0 * * 7").next(at("2024-03-01T00:00:00Z"))?.toISOString()).toBe(
      "2024-03-03T00:00:00.000Z",
    );
  });

  it("ORs day-of-month and day-of-week when both are restricted, as POSIX cron does", () => {
    // The 13th, or any Friday.
    expect(
      iso(schedule("0 12 13 * 5").firesBetween(at("2024-09-01T00:00:00Z"), at("2024-09-21T00:00:00Z"))),
    ).toEqual(["2024-09-06T12:00:00.000Z", "2024-09-13T12:00:00.000Z", "2024-09-20T12:00:00.000Z"]);
  });

  it("reads ranges, steps over ranges, lists and month names", () => {
    expect(
      iso(schedule("0 9-17/4 * * *").firesBetween(at("2024-03-01T00:00:00Z"), at("2024-03-01T23:59:00Z"))),
    ).toEqual(["2024-03-01T09:00:00.000Z", "2024-03-01T13:00:00.000Z", "2024-03-01T17:00:00.000Z"]);
    expect(
      iso(
        schedule("15,45 0 1 JAN,jul *").firesBetween(at("2024-01-01T00:00:00Z"), at("2024-12-31T00:00:00Z")),
      ),
    ).toEqual([
      "2024-01-01T00:15:00.000Z",
      "2024-01-01T00:45:00.000Z",
      "2024-07-01T00:15:00.000Z",
      "2024-07-01T00:45:00.000Z",
    ]);
    expect(schedule("0 0 29 2 *").next(at("2024-03-01T00:00:00Z"))?.toISOString()).toBe(
      "2028-02-29T00:00:00.000Z",
    );
  });

  it("counts in UTC: no gap or repeat at daylight-saving changes, whatever the machine's zone", () => {
    // Evaluated with the process in a zone that has DST, so local-time evaluation would show.
    const zone = process.env.TZ;
    process.env.TZ = "Europe/Berlin";
    onTestFinished(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });
    expect(new Date("2024-03-31T02:30:00Z").getHours()).toBe(4);
    // Europe's clocks go forward on 2024-03-31 at 01:00 UTC and back on 2024-10-27 at 01:00 UTC.
    const hourly = schedule("30 * * * *");
    expect(iso(hourly.firesBetween(at("2024-03-31T00:00:00Z"), at("2024-03-31T03:00:00Z")))).toEqual([
      "2024-03-31T00:30:00.000Z",
      "2024-03-31T01:30:00.000Z",
      "2024-03-31T02:30:00.000Z",
    ]);
    expect(iso(hourly.firesBetween(at("2024-10-27T00:00:00Z"), at("2024-10-27T03:00:00Z")))).toEqual([
      "2024-10-27T00:30:00.000Z",
      "2024-10-27T01:30:00.000Z",
      "2024-10-27T02:30:00.000Z",
    ]);
    expect(schedule("0 2 * * *").next(at("2024-03-30T12:00:00Z"))?.toISOString()).toBe(
      "2024-03-31T02:00:00.000Z",
    );
  });

  it("bounds catching up after downtime by `limit`, oldest first, and resumes from the last one", () => {
    const everyMinute = schedule("* * * * *");
    const downFrom = at("2024-03-01T00:00:00Z");
    const backAt = at("2024-03-08T00:00:00Z");
    const first = everyMinute.firesBetween(downFrom, backAt, 3);
    expect(iso(first)).toEqual([
      "2024-03-01T00:01:00.000Z",
      "2024-03-01T00:02:00.000Z",
      "2024-03-01T00:03:00.000Z",
    ]);
    const last = first[first.length - 1];
    if (!last) throw new Error("no fires");
    expect(iso(everyMinute.firesBetween(last, backAt, 2))).toEqual([
      "2024-03-01T00:04:00.000Z",
      "2024-03-01T00:05:00.000Z",
    ]);
    expect(everyMinute.firesBetween(downFrom, backAt)).toHaveLength(DEFAULT_FIRE_LIMIT);
    expect(everyMinute.firesBetween(downFrom, backAt, 0)).toEqual([]);
  });

  it("refuses invalid expressions with a ConfigError at the offending field", () => {
    const cases: [string, number, RegExp][] = [
      ["61 * * * *", 14, /minute 61 is out of range 0-59/],
      ["0 24 * * *", 16, /hour 24 is out of range 0-23/],
      ["0 0 0 * *", 18, /day of month 0 is out of range 1-31/],
      ["0 0 * 13 *", 20, /month 13 is out of range 1-12/],
      ["0 0 * * 8", 22, /day of week 8 is out of range 0-7/],
      ["0 0 * * FUNDAY", 22, /day of week 'FUNDAY' is not a number or a name \(SUN-SAT\)/],
      ["*/0 * * * *", 16, /step '0' in the minute field must be a positive number/],
      ["5/15 * * * *", 14, /write '\*\/15' or a range/],
      ["0 17-9 * * *", 16, /range '17-9' in the hour field runs backwards/],
      ["0 0 L * *", 18, /day of month 'L' is not a number/],
      ["0,,5 * * * *", 16, /empty item in the minute field/],
      ["* * * *", 14, /expected 5 fields, found 4/],
      ["0 0 * * * *", 14, /expected 5 fields, found 6/],
      ["@daily", 14, /shortcuts are not supported/],
      ["0 0 31 2 *", 14, /no date matches it/],
    ];
    for (const [cron, column, message] of cases) {
      const error = configError(cron);
      expect(error.message, cron).toMatch(message);
      expect(error.diagnostics[0]?.position, cron).toEqual({
        file: ".github/workflows/nightly.yml",
        line: 4,
        column,
      });
      expect(error.diagnostics[0]?.hint).toMatch(/five fields in UTC/);
      expect(error.message).toContain(`.github/workflows/nightly.yml:4:${column}:`);
    }
  });

  it("reports line 1, column 1 when the declaration's position is unknown", () => {
    expect(configError("0 0 * * 9", {}).diagnostics[0]?.position).toEqual({
      file: ".github/workflows/nightly.yml",
      line: 1,
      column: 9,
    });
  });
});
