import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileWorkflow } from "../../../src/pipeline/github/compile.js";
import { KEY_SUPPORT, LOOSE_DEFINITIONS } from "../../../src/pipeline/github/keys.js";
import { ROOT } from "../../support/cli.js";
import { diagnosticsOf } from "./support.js";

interface SchemaDefinition {
  mapping?: { properties?: Record<string, unknown>; "loose-key-type"?: string };
}

/** The workflow schema @actions/workflow-parser validates against, as it ships in the package. */
function bundledSchema(): Record<string, SchemaDefinition> {
  const file = path.join(
    ROOT,
    "node_modules",
    "@actions",
    "workflow-parser",
    "dist",
    "workflow-v1.0.min.json",
  );
  return (JSON.parse(readFileSync(file, "utf8")) as { definitions: Record<string, SchemaDefinition> })
    .definitions;
}

describe("every key of GitHub's workflow schema", () => {
  const definitions = bundledSchema();
  const withKeys = Object.entries(definitions).filter(([, d]) => d.mapping?.properties);

  it("is compiled, recorded or rejected with a reason: none is missing from the table", () => {
    const missing: string[] = [];
    for (const [name, definition] of withKeys) {
      for (const key of Object.keys(definition.mapping?.properties ?? {})) {
        if (!KEY_SUPPORT[name]?.[key]) missing.push(`${name}.${key}`);
      }
    }
    expect(missing).toEqual([]);
    expect(withKeys.length).toBeGreaterThan(50);
  });

  it("has no entry the schema does not know, and recorded or rejected keys all give a reason", () => {
    for (const [name, keys] of Object.entries(KEY_SUPPORT)) {
      const properties = definitions[name]?.mapping?.properties;
      expect(properties, name).toBeDefined();
      for (const [key, support] of Object.entries(keys)) {
        expect(Object.keys(properties ?? {}), `${name}.${key}`).toContain(key);
        if (support.kind === "recorded") expect(support.reason).not.toBe("");
        if (support.kind === "rejected")
          expect(support.reason !== "" || support.reportedAt !== undefined).toBe(true);
      }
    }
  });

  it("treats as user names only the keys of the schema's loose mappings (matrix axes)", () => {
    const loose = withKeys.filter(([, d]) => d.mapping?.["loose-key-type"]).map(([name]) => name);
    expect([...LOOSE_DEFINITIONS].sort()).toEqual(loose.sort());
  });

  it("reports each rejected key at its own position, before anything runs", async () => {
    const workflow = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    container: node:20
    services:
      db:
        image: postgres:16
    cancel-timeout-minutes: 5
    snapshot: my-image
    steps:
      - run: sleep 60
        background: true
      - run: echo ok
  call:
    uses: octo/pipelines/.github/workflows/build.yml@v1
    with:
      target: prod
`;
    const found = await diagnosticsOf(async () => compileWorkflow(workflow, "ci.yml"));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ci\.yml:5:5: "container" is not supported: it needs a container runtime/),
        expect.stringMatching(/^ci\.yml:6:5: "services" is not supported: it needs a container runtime/),
        expect.stringMatching(/^ci\.yml:9:5: "cancel-timeout-minutes" is not supported/),
        expect.stringMatching(/^ci\.yml:10:5: "snapshot" is not supported/),
      ]),
    );
    // The keys inside a rejected container or service are not reported again; a reusable
    // workflow call is read when the workflow is loaded (reusable.test.ts).
    expect(found.filter((d) => /:(7|8|17|18):/.test(d))).toEqual([]);
  });
});
