import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, EnvironmentError, UsageError } from "../../src/errors/index.js";
import { loadManifests, manifestSource } from "../../src/kubernetes/manifests.js";
import { K8S_BIN } from "../support/kubernetes.js";

/**
 * Loading manifests needs no cluster: files, directories, Kustomize, Helm charts (with the helm
 * v3.22.0 that scripts/k8s-testbed builds), and every problem at its position.
 */

const HELM = path.join(K8S_BIN, "helm");

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "kubernetes", "sync");
const fixture = (...parts: string[]) => path.join(FIXTURES, ...parts);

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("loadManifests", () => {
  it("reads a directory's *.yaml and *.yml files in name order, and nothing else", async () => {
    const objects = await loadManifests(fixture("app"), { namespace: "shop" });
    // config.yml, deployment.yaml, service.yaml; README.md is not read.
    expect(objects.map((o) => `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`)).toEqual([
      "ConfigMap/shop/web-config",
      "Deployment/shop/web",
      "Service/shop/web",
    ]);
    expect(manifestSource(objects[1]!)?.position).toEqual({
      file: fixture("app", "deployment.yaml"),
      line: 2,
      column: 1,
    });
  });

  it("skips empty documents, unwraps Lists, and gives only namespaced kinds the default namespace", async () => {
    const objects = await loadManifests(fixture("dir"), { namespace: "shop" });
    expect(objects.map((o) => [o.kind, o.metadata?.namespace, o.metadata?.name])).toEqual([
      ["Namespace", undefined, "shop"],
      ["ClusterRole", undefined, "shop-reader"],
      ["ConfigMap", "shop", "from-list-1"],
      // A namespace the manifest names is kept.
      ["ConfigMap", "elsewhere", "from-list-2"],
    ]);
    // A List item's position is the item's, not the List's.
    expect(manifestSource(objects[3]!)?.position).toMatchObject({
      file: fixture("dir", "b-list.yaml"),
      line: 8,
    });
  });

  it("leaves the namespace unset when none is passed", async () => {
    const [object] = await loadManifests(fixture("app", "config.yml"));
    expect(object?.metadata?.namespace).toBeUndefined();
  });

  it("builds a Kustomize directory with kubectl kustomize", async () => {
    const objects = await loadManifests(fixture("kustomize"), { namespace: "shop" });
    const names = objects.map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(names).toContain("Deployment/shop-web");
    expect(names.some((n) => /^ConfigMap\/shop-settings-[a-z0-9]+$/.test(n))).toBe(true);
    expect(objects.every((o) => o.metadata?.labels?.["team"] === "storefront")).toBe(true);
    expect(objects.every((o) => o.metadata?.namespace === "shop")).toBe(true);
  });

  it("renders a Helm chart with helm template: release name, namespace and values files", async () => {
    const objects = await loadManifests(fixture("chart"), {
      namespace: "shop",
      release: "storefront",
      values: [fixture("chart-prod-values.yaml")],
      helm: HELM,
    });
    const deployment = objects.find((o) => o.kind === "Deployment") as
      | {
          metadata: { name: string; namespace: string; labels: Record<string, string> };
          spec: Record<string, never>;
        }
      | undefined;
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual([
      "Deployment/storefront-web",
      "Service/storefront-web",
    ]);
    expect(deployment?.metadata.labels["helm.sh/chart"]).toBe("shop-web-0.3.0");
    expect(deployment?.spec["replicas"]).toBe(5);
    expect(JSON.stringify(deployment)).toContain("registry.example/shop/web:v7");
    expect(objects.every((o) => o.metadata?.namespace === "shop")).toBe(true);
  });

  it("says so when helm template fails, with helm's reason", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-chart-"));
    await writeFile(path.join(dir, "Chart.yaml"), "apiVersion: v2\nname: broken\nversion: 0.1.0\n");
    await mkdir(path.join(dir, "templates"));
    await writeFile(
      path.join(dir, "templates", "cm.yaml"),
      "kind: ConfigMap\nmetadata: {{ .Values.missing.deeper }}\n",
    );
    const error = await loadManifests(dir, { helm: HELM }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(
      /helm template .* failed: .*nil pointer evaluating interface \{\}\.deeper/s,
    );
    expect((error as UsageError).hint).toMatch(/helm template/);
  });

  it("says so when kubectl kustomize fails, with kubectl's reason", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-kustomize-"));
    await writeFile(path.join(dir, "kustomization.yaml"), "resources:\n  - missing.yaml\n");
    const error = await loadManifests(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/kubectl kustomize .* failed: .*missing\.yaml/s);
    expect((error as UsageError).hint).toMatch(/kubectl kustomize/);
  });

  it("says so when kubectl is not there to build a Kustomize directory", async () => {
    const error = await loadManifests(fixture("kustomize"), { kubectl: "/nonexistent/kubectl" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).hint).toMatch(/SLIPWAY_KUBECTL/);
  });

  it("reports every object without kind or metadata.name at its line and column, with what was expected", async () => {
    const file = fixture("bad", "missing-kind.yaml");
    const error = await configError(loadManifests(file));
    expect(error.diagnostics).toHaveLength(2);
    const [noKind, noName] = error.diagnostics;
    // The second document (line 6) has no kind: reported at its start, where it belongs.
    expect(noKind).toMatchObject({
      position: { file, line: 6, column: 1 },
      message: "the object has no kind",
      expected: expect.stringMatching(/kind: .*Deployment/),
      hint: expect.stringMatching(/case-sensitive/),
    });
    // The third has metadata without a name: reported where the name belongs, in its mapping (line 15).
    expect(noName).toMatchObject({
      position: { file, line: 15, column: 3 },
      message: "the object has no metadata.name",
    });
    expect(error.message).toBe(`${file}:6:1: the object has no kind (and 1 more)`);
  });

  it("reports a YAML syntax error at its line and column", async () => {
    // Written here, not kept as a fixture: the repository's formatter refuses to read invalid YAML.
    const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-manifests-"));
    const file = path.join(dir, "syntax.yaml");
    await writeFile(
      file,
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  greeting: hello: world\n  other: value\n",
    );
    const error = await configError(loadManifests(file));
    expect(error.diagnostics).toEqual([
      {
        // `greeting: hello: world`: the second ": " on line 6, column 13.
        position: { file, line: 6, column: 13 },
        message: expect.stringMatching(/^YAML syntax: /),
        hint: "a value containing ': ' must be quoted",
      },
    ]);
  });

  it("refuses a document that is not a mapping", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-manifests-"));
    const file = path.join(dir, "list.yaml");
    await writeFile(file, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- just\n- a list\n");
    const error = await configError(loadManifests(file));
    expect(error.diagnostics[0]).toMatchObject({
      position: { file, line: 5, column: 1 },
      message: "a Kubernetes object must be a mapping",
    });
  });

  it("refuses the same object twice, across files, pointing at both", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-manifests-"));
    const cm = (ns: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n${ns}`;
    await writeFile(path.join(dir, "a.yaml"), cm(""));
    // Same group, kind, namespace (defaulted) and name: the same object.
    await writeFile(path.join(dir, "b.yaml"), `# again\n${cm("  namespace: shop\n")}`);
    // Another namespace: another object.
    await writeFile(path.join(dir, "c.yaml"), cm("  namespace: other\n"));
    const error = await configError(loadManifests(dir, { namespace: "shop" }));
    expect(error.diagnostics).toHaveLength(1);
    expect(error.diagnostics[0]).toMatchObject({
      position: { file: path.join(dir, "b.yaml"), line: 2, column: 1 },
      message: "ConfigMap shop/settings is defined twice",
      hint: expect.stringContaining(`${path.join(dir, "a.yaml")}:1:1`),
    });
  });

  it("finds the line of a field the API server names, list keys included", async () => {
    const [, deployment] = await loadManifests(fixture("app"));
    const source = manifestSource(deployment!)!;
    expect(source.positionOf("spec.replicas").line).toBe(9);
    expect(source.positionOf("spec.template.spec.containers[0].image").line).toBe(20);
    // Server-side apply's own paths key lists by name.
    expect(source.positionOf('.spec.template.spec.containers[name="web"].image').line).toBe(20);
    // A field that is not there: its closest parent, where it would be added.
    expect(source.positionOf("spec.template.spec.containers[0].resources.limits").line).toBe(19);
  });

  it("says what is wrong with a path that is not there", async () => {
    await expect(loadManifests(fixture("nope"))).rejects.toBeInstanceOf(UsageError);
  });
});
