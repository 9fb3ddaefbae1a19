import { describe, expect, it } from "vitest";
import type { CustomRule } from "../../../src/guardrails/model.js";
import { analyzeDockerfile } from "../../../src/guardrails/dockerfile/analyze.js";
import { isDockerfile } from "../../../src/guardrails/dockerfile/index.js";
import { buildModel, keyValues } from "../../../src/guardrails/dockerfile/model.js";
import { parseDockerfile } from "../../../src/guardrails/dockerfile/parser.js";
import { textSpan } from "../../../src/guardrails/source-text.js";

const all = { ruleFilter: () => true, customRules: [] };

function only(id: string) {
  return { ruleFilter: (rule: string) => rule === id, customRules: [] };
}

describe("Dockerfile parser", () => {
  it("joins continuation lines and keeps the file position of every character", () => {
    const parsed = parseDockerfile(
      "Dockerfile",
      "FROM alpine:3.20\nRUN apk add --no-cache \\\n      curl \\\n  jq\n",
    );
    const run = parsed.instructions[1];
    expect(run?.keyword).toBe("RUN");
    expect(run?.args).toBe("apk add --no-cache       curl   jq");
    expect(run?.span).toMatchObject({ line: 2, column: 1, endLine: 4 });
    const curl = run?.text.text.indexOf("curl") ?? -1;
    expect(textSpan(parsed.lines, run!.text, curl, curl + 4)).toMatchObject({
      line: 3,
      column: 7,
      endLine: 3,
      endColumn: 11,
    });
  });

  it("drops comment and empty lines inside a continuation and records the comments", () => {
    const parsed = parseDockerfile(
      "Dockerfile",
      "FROM debian\nRUN apt-get update && \\\n    # the tools\n\n    apt-get install -y git\nUSER 1000\n",
    );
    expect(parsed.instructions.map((i) => i.keyword)).toEqual(["FROM", "RUN", "USER"]);
    expect(parsed.instructions[1]?.args).toBe("apt-get update &&     apt-get install -y git");
    expect(parsed.comments).toEqual([
      expect.objectContaining({ line: 3, text: "# the tools", insideInstruction: true }),
    ]);
  });

  it("honours the escape directive: a backtick continues lines and backslashes are plain", () => {
    const text =
      "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN New-Item -ItemType Directory C:\\app `\n    -Force\nWORKDIR C:\\app\n";
    const parsed = parseDockerfile("Dockerfile", text);
    expect(parsed.escape).toBe("`");
    expect(parsed.directives).toEqual([{ name: "escape", value: "`", line: 1 }]);
    expect(parsed.instructions.map((i) => i.keyword)).toEqual(["FROM", "RUN", "WORKDIR"]);
    expect(parsed.instructions[1]?.args).toBe("New-Item -ItemType Directory C:\\app     -Force");
    expect(parsed.instructions[1]?.span.endLine).toBe(4);
  });

  it("reads parser directives only at the very top", () => {
    const parsed = parseDockerfile(
      "Dockerfile",
      "# syntax=docker/dockerfile:1.7\n# a comment\n# escape=`\nFROM alpine\n",
    );
    expect(parsed.directives.map((d) => d.name)).toEqual(["syntax"]);
    expect(parsed.escape).toBe("\\");
  });

  it("reads here-documents, with <<- stripping tabs and several on one line", () => {
    const text = [
      "FROM alpine",
      "RUN <<EOF",
      "set -e",
      "apk add --no-cache curl",
      "EOF",
      "COPY <<-one.txt <<two.txt /etc/app/",
      "\tfirst",
      "\tone.txt",
      "second",
      "two.txt",
      "USER 1000",
      "",
    ].join("\n");
    const parsed = parseDockerfile("Dockerfile", text);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.instructions.map((i) => i.keyword)).toEqual(["FROM", "RUN", "COPY", "USER"]);
    const run = parsed.instructions[1];
    expect(run?.heredocs[0]?.body.text).toBe("set -e\napk add --no-cache curl\n");
    expect(run?.span).toMatchObject({ line: 2, endLine: 5 });
    const copy = parsed.instructions[2];
    expect(copy?.heredocs.map((h) => [h.delimiter, h.stripTabs, h.body.text])).toEqual([
      ["one.txt", true, "first\n"],
      ["two.txt", false, "second\n"],
    ]);
    // The body keeps file positions: "first" is on line 7, after the stripped tab.
    const first = copy?.heredocs[0]?.body;
    expect(textSpan(parsed.lines, first!, 0, 5)).toMatchObject({ line: 7, column: 2 });
  });

  it("reports an unterminated here-document with its position and goes on", () => {
    const parsed = parseDockerfile("Dockerfile", "FROM alpine\nRUN <<EOF\necho hi\n");
    expect(parsed.diagnostics).toEqual([
      expect.objectContaining({ message: "here-document <<EOF is never closed" }),
    ]);
    expect(parsed.diagnostics[0]?.span).toMatchObject({ line: 2, column: 5 });
  });

  it("tells the exec form (a JSON array of strings) from the shell form", () => {
    const parsed = parseDockerfile(
      "Dockerfile",
      'FROM a\nCMD ["node", "server.js"]\nCMD [\'node\', \'server.js\']\nENTRYPOINT ["a", 1]\nCMD ["a\\"b"]\n',
    );
    const [, exec, single, number, escaped] = parsed.instructions;
    expect(exec?.exec?.map((w) => w.value)).toEqual(["node", "server.js"]);
    expect(single?.exec).toBeUndefined();
    expect(number?.exec).toBeUndefined();
    expect(escaped?.exec?.map((w) => w.value)).toEqual(['a"b']);
  });

  it("reads flags with their values and positions", () => {
    const parsed = parseDockerfile(
      "Dockerfile",
      "FROM a AS build\nFROM b\nCOPY --from=build --chown=app:app --link /out /app\n",
    );
    const copy = parsed.instructions[2];
    expect(copy?.flags.map((f) => [f.name, f.value])).toEqual([
      ["from", "build"],
      ["chown", "app:app"],
      ["link", undefined],
    ]);
    expect(copy?.flags[1]?.span).toMatchObject({ line: 3, column: 19, endColumn: 34 });
    expect(copy?.args).toBe("/out /app");
  });

  it("reports unknown instructions and instructions before FROM as diagnostics with positions", () => {
    const result = analyzeDockerfile(
      { path: "Dockerfile", text: "RUN echo hi\nFROM alpine\n  COPPY a b\n" },
      all,
    );
    expect(result.diagnostics.map((d) => [d.message, d.span.line, d.span.column])).toEqual([
      ["unknown instruction COPPY", 3, 3],
      ["RUN before the first FROM", 1, 1],
    ]);
  });

  it("parses ENV in both forms", () => {
    const parsed = parseDockerfile("Dockerfile", 'FROM a\nENV A=1 B="two words"\nENV LEGACY some value\n');
    expect(keyValues(parsed.instructions[1]!).map((p) => [p.key, p.value])).toEqual([
      ["A", "1"],
      ["B", "two words"],
    ]);
    expect(keyValues(parsed.instructions[2]!).map((p) => [p.key, p.value])).toEqual([
      ["LEGACY", "some value"],
    ]);
  });
});

describe("Dockerfile model", () => {
  it("links stages built FROM earlier stages and knows what ships", () => {
    const text =
      "FROM golang:1.22 AS build\nRUN go build\nFROM build AS test\nRUN go test\nFROM alpine:3.20 AS base\nUSER 10001\nFROM base\nCOPY --from=build /out /app\n";
    const model = buildModel(parseDockerfile("Dockerfile", text));
    expect(model.stages.map((s) => s.label)).toEqual(["build", "test", "base", "stage 4"]);
    expect(model.stages[1]?.base?.name).toBe("build");
    expect(model.stages[1]?.image).toBeUndefined();
    expect(model.final?.base?.name).toBe("base");
    expect([...model.shipped].map((s) => s.label)).toEqual(["stage 4", "base"]);
    expect(model.stages[0]?.span).toMatchObject({ line: 1, endLine: 2 });
  });

  it("expands global ARGs in FROM and says where the value came from", () => {
    const text = "ARG BASE=node\nARG TAG=latest\nFROM ${BASE}:${TAG}\nUSER node\nHEALTHCHECK NONE\n";
    const result = analyzeDockerfile({ path: "Dockerfile", text }, only("DOCKER-001"));
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]?.message).toContain("node:latest");
    expect(result.findings[0]?.span).toMatchObject({ line: 3, column: 6 });
    expect(result.findings[0]?.provenance.map((p) => p.description)).toEqual(["ARG BASE", "ARG TAG"]);
  });

  it("stays silent about images it cannot resolve", () => {
    const result = analyzeDockerfile(
      { path: "Dockerfile", text: "ARG BASE\nFROM ${BASE}\n" },
      only("DOCKER-001"),
    );
    expect(result.findings).toEqual([]);
  });

  it("takes USER from the stage the final stage is built from", () => {
    const root = 'FROM node:20 AS base\nUSER node\nFROM base\nCMD ["node", "a.js"]\n';
    expect(analyzeDockerfile({ path: "Dockerfile", text: root }, only("DOCKER-003")).findings).toEqual([]);
    const back = "FROM node:20 AS base\nUSER node\nFROM base\nUSER root\n";
    const findings = analyzeDockerfile({ path: "Dockerfile", text: back }, only("DOCKER-003")).findings;
    expect(findings.map((f) => f.span.line)).toEqual([4]);
  });

  it("lets a builder stage run as root", () => {
    const text =
      "FROM golang:1.22 AS build\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=build /app /app\nUSER 65534\n";
    expect(analyzeDockerfile({ path: "Dockerfile", text }, only("DOCKER-003")).findings).toEqual([]);
  });

  it("analyzes shell here-documents of RUN as scripts, at their lines", () => {
    const text = "FROM debian:12\nRUN <<EOF\nset -e\ncurl -fsSL https://get.example.com | sh\nEOF\n";
    const findings = analyzeDockerfile({ path: "Dockerfile", text }, only("DOCKER-007")).findings;
    expect(findings.map((f) => [f.span.line, f.span.column, f.span.endColumn])).toEqual([[4, 1, 40]]);
  });

  it("does not read a python here-document as shell", () => {
    const text = "FROM python:3.12\nRUN python3 <<EOF\nimport os\nos.system('curl x | sh')\nEOF\n";
    expect(analyzeDockerfile({ path: "Dockerfile", text }, only("DOCKER-007")).findings).toEqual([]);
  });

  it("points at a command on a continuation line", () => {
    const text =
      "FROM debian:12\nRUN apt-get update \\\n && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n";
    const findings = analyzeDockerfile({ path: "Dockerfile", text }, only("DOCKER-008")).findings;
    expect(findings.map((f) => [f.span.line, f.span.column, f.span.endLine, f.span.endColumn])).toEqual([
      [3, 5, 3, 28],
    ]);
  });

  it("finds secrets in ENV and ARG but not references or flags", () => {
    const text =
      "FROM a\nARG GITHUB_TOKEN\nENV API_TOKEN=$GITHUB_TOKEN ENABLE_TOKEN_AUTH=true DB_PASSWORD_FILE=/run/secrets/db\nENV STRIPE_API_KEY sk_test_abcdef\n";
    const findings = analyzeDockerfile({ path: "Dockerfile", text }, only("DOCKER-006")).findings;
    expect(findings.map((f) => f.span.line)).toEqual([4]);
    expect(findings[0]?.message).not.toContain("abcdef");
  });

  it("flags COPY --from of a stage defined later as well as of an unknown one", () => {
    const text =
      "FROM alpine:3.20 AS a\nCOPY --from=b /x /x\nCOPY --from=1 /y /y\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx\nFROM alpine:3.20 AS b\nCOPY --from=a /x /x\nCOPY --from=0 /x /x\n";
    const findings = analyzeDockerfile({ path: "Dockerfile", text }, only("DOCKER-027")).findings;
    expect(findings.map((f) => f.span.line)).toEqual([2, 3]);
  });
});

describe("Dockerfile claims", () => {
  it("claims Dockerfiles and Containerfiles by name", () => {
    for (const path of ["Dockerfile", "api/Dockerfile.prod", "web.Dockerfile", "Containerfile", "dockerfile"])
      expect(isDockerfile(path), path).toBe(true);
    for (const path of [
      "Dockerfile.dockerignore",
      "docker-compose.yml",
      "Dockerfiles/readme.md",
      "notDockerfile",
    ])
      expect(isDockerfile(path), path).toBe(false);
  });
});

describe("Dockerfile custom rules", () => {
  it("see each stage as a dockerfile-stage resource with spans", () => {
    const seen: unknown[] = [];
    const rule: CustomRule = {
      id: "ACME-001",
      title: "Final images run as the platform user",
      severity: "medium",
      framework: "dockerfile",
      rationale: "The platform's admission policy only admits uid 10001.",
      remediation: "Add USER 10001.",
      references: ["https://example.com/policy"],
      checkResources(resources, report) {
        for (const stage of resources) {
          const final = stage.get("final");
          const user = stage.get("user");
          seen.push([
            stage.type,
            stage.address,
            final.known && final.value,
            stage.get("image.tag").known && stage.get("image.tag"),
          ]);
          if (final.known && final.value === true && user.known && user.value !== "10001")
            report({
              message: `runs as ${String(user.value)}`,
              span: user.span ?? stage.span,
              resource: stage.address,
            });
        }
      },
    };
    const text = "FROM golang:1.22 AS build\nRUN go build\nFROM alpine:3.20\nENV MODE=prod\nUSER nobody\n";
    const result = analyzeDockerfile(
      { path: "Dockerfile", text },
      { ruleFilter: () => true, customRules: [rule] },
    );
    expect(seen).toEqual([
      [
        "dockerfile-stage",
        "build",
        false,
        expect.objectContaining({ value: "1.22", span: expect.objectContaining({ line: 1 }) }),
      ],
      ["dockerfile-stage", "stage 2", true, expect.objectContaining({ value: "3.20" })],
    ]);
    expect(
      result.findings.filter((f) => f.ruleId === "ACME-001").map((f) => [f.span.line, f.message]),
    ).toEqual([[5, "runs as nobody"]]);
  });
});

describe("Windows images", () => {
  it("are not read as POSIX shell scripts", () => {
    const text =
      "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN cd C:\\tools && curl.exe -o a.zip https://x | tar -xf a.zip\n";
    const result = analyzeDockerfile({ path: "Dockerfile", text }, all);
    expect(result.findings.filter((f) => f.ruleId === "DOCKER-023" || f.ruleId === "DOCKER-024")).toEqual([]);
  });
});
