import { Cron } from "croner";
import { ConfigError } from "../errors/index.js";

export interface ScheduleSpec {
  cron: string;
  /** where it was declared, for errors */
  file: string;
  /** 1-based line of the expression's first character; 1 when unknown. */
  line?: number;
  /** 1-based column of the expression's first character; 1 when unknown. */
  column?: number;
}

export interface ParsedSchedule {
  cron: string;
  /** fire times strictly after `after` and at or before `until`, oldest first, at most `limit` (default 100) */
  firesBetween(after: Date, until: Date, limit?: number): Date[];
  /** The first fire time strictly after `after`, or undefined when there is none. */
  next(after: Date): Date | undefined;
}

/**
 * How many missed runs one call hands back by default: after a long outage, a schedule that fires
 * every minute must not enqueue days of runs at once.
 */
export const DEFAULT_FIRE_LIMIT = 100;

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

// GitHub's schedule syntax is POSIX cron: five fields, `* , - /`, month and day names
// (https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#schedule).
const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  // 7 is Sunday too, as in Vixie cron.
  { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

const HINT =
  "a schedule is five fields in UTC: minute hour day-of-month month day-of-week, e.g. '*/15 * * * *'";

/** A problem at `offset` characters into the expression. */
class FieldProblem {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

function valueOf(text: string, field: Field, offset: number): number {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.min === 1 ? named + 1 : named;
  if (!/^\d+$/.test(text)) {
    const names = field.names ? ` or a name (${field.names[0]}-${field.names[field.names.length - 1]})` : "";
    return fail(offset, `${field.name} '${text}' is not a number${names}`);
  }
  const value = Number(text);
  if (value < field.min || value > field.max) {
    return fail(offset, `${field.name} ${value} is out of range ${field.min}-${field.max}`);
  }
  return value;
}

function fail(offset: number, message: string): never {
  throw new FieldProblem(offset, message);
}

/** Checks one comma-separated item: `*`, `v`, `a-b`, `* /n` or `a-b/n`. */
function checkItem(item: string, field: Field, offset: number): void {
  if (item === "") fail(offset, `empty item in the ${field.name} field`);
  const [range = "", step, extra] = item.split("/");
  if (extra !== undefined) fail(offset, `'${item}' has more than one '/'`);
  if (step !== undefined) {
    if (!/^\d+$/.test(step) || Number(step) === 0) {
      fail(offset + range.length + 1, `step '${step}' in the ${field.name} field must be a positive number`);
    }
    if (range !== "*" && !range.includes("-")) {
      fail(
        offset,
        `step on a single value ('${item}'): write '*/${step}' or a range such as '${range}-${field.max}/${step}'`,
      );
    }
  }
  if (range === "*") return;
  const [low = "", high, more] = range.split("-");
  if (more !== undefined) fail(offset, `'${range}' is not a range`);
  const from = valueOf(low, field, offset);
  if (high !== undefined) {
    const to = valueOf(high, field, offset + low.length + 1);
    if (to < from) fail(offset, `range '${range}' in the ${field.name} field runs backwards`);
  }
}

function checkExpression(expression: string): void {
  const parts: { text: string; offset: number }[] = [];
  for (const match of expression.matchAll(/\S+/g)) parts.push({ text: match[0], offset: match.index });
  if (expression.trim().startsWith("@")) {
    fail(
      expression.indexOf("@"),
      `'${expression.trim()}' shortcuts are not supported: write the five fields`,
    );
  }
  if (parts.length !== FIELDS.length) {
    fail(0, `expected 5 fields, found ${parts.length}`);
  }
  parts.forEach((part, index) => {
    const field = FIELDS[index];
    if (!field) return;
    let offset = part.offset;
    for (const item of part.text.split(",")) {
      checkItem(item, field, offset);
      offset += item.length + 1;
    }
  });
}

function configError(spec: ScheduleSpec, offset: number, message: string, cause?: unknown): ConfigError {
  const position = { file: spec.file, line: spec.line ?? 1, column: (spec.column ?? 1) + offset };
  return new ConfigError(
    [
      {
        position,
        message: `invalid cron schedule '${spec.cron}': ${message}`,
        expected: "minute hour day month weekday",
        hint: HINT,
      },
    ],
    { hint: HINT, cause },
  );
}

/**
 * Parses a cron schedule as GitHub Actions reads one: five fields, evaluated in UTC (so no
 * daylight-saving gaps or repeats), day-of-month and day-of-week OR-ed when both are restricted.
 * Throws ConfigError pointing at the offending field.
 */
export function parseSchedule(spec: ScheduleSpec): ParsedSchedule {
  try {
    checkExpression(spec.cron);
  } catch (error) {
    if (error instanceof FieldProblem) throw configError(spec, error.offset, error.message);
    throw error;
  }
  let cron: Cron;
  try {
    cron = new Cron(spec.cron.trim(), { paused: true, timezone: "UTC", mode: "5-part", domAndDow: false });
  } catch (error) {
    throw configError(spec, 0, error instanceof Error ? error.message : String(error), error);
  }
  // Feb 30 and the like pass field checks but never fire; a silent schedule is a bug in the file.
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    throw configError(spec, 0, "no date matches it");
  }
  const next = (after: Date): Date | undefined => cron.nextRun(after) ?? undefined;
  return {
    cron: spec.cron.trim(),
    next,
    firesBetween(after: Date, until: Date, limit = DEFAULT_FIRE_LIMIT): Date[] {
      const fires: Date[] = [];
      let cursor = after;
      while (fires.length < limit) {
        const fire = next(cursor);
        if (fire === undefined || fire.getTime() > until.getTime()) break;
        fires.push(fire);
        cursor = fire;
      }
      return fires;
    },
  };
}
