import { describe, expect, it } from "vitest";
import { EMPTY_ALLOW_LIST } from "../../../src/guardrails/secrets/allow-list.js";
import { claimsForSecrets } from "../../../src/guardrails/secrets/claims.js";
import { DetectionPlan, type SecretRule } from "../../../src/guardrails/secrets/detector.js";
import { SECRET_RULES } from "../../../src/guardrails/secrets/rules/index.js";
import { checksummedToken, HEX, jwt, prng, randomString, UPPER32 } from "./tokens.js";

const random = prng(20260601);
const r = (length: number, alphabet?: string) => randomString(random, length, alphabet);

function detect(text: string, path = "config/app.env", rules: readonly SecretRule[] = SECRET_RULES) {
  return new DetectionPlan(rules).detect({ path, absolutePath: `/repo/${path}`, text }, EMPTY_ALLOW_LIST);
}
const ids = (text: string, path?: string) => detect(text, path).map((c) => c.ruleId);

const AKID = `AKIA${r(16, UPPER32)}`;
const AWS_SECRET = `${r(20)}/${r(9)}+${r(9)}`;
const PEM_BODY = Buffer.from(r(900))
  .toString("base64")
  .replace(/(.{64})/g, "$1\n");

describe("secret detectors", () => {
  it.each([
    ["SECRET-001", `AWS_ACCESS_KEY_ID=${AKID}`],
    ["SECRET-002", `aws_secret_access_key = ${AWS_SECRET}`],
    ["SECRET-003", `GITHUB_TOKEN=${checksummedToken(random, "ghp_")}`],
    ["SECRET-003", `token: ${checksummedToken(random, "ghs_")}`],
    ["SECRET-004", `"token": "github_pat_${r(22)}_${r(59)}"`],
    ["SECRET-005", `CI_PUSH_TOKEN=glpat-${r(20)}`],
    ["SECRET-006", `slack_token = "xoxb-${r(12, "0123456789")}-${r(13, "0123456789")}-${r(24)}"`],
    [
      "SECRET-007",
      `webhook: https://hooks.slack.com/services/T${r(10, UPPER32)}/B${r(10, UPPER32)}/${r(24)}`,
    ],
    ["SECRET-008", `STRIPE_KEY=sk_live_${r(40)}`],
    ["SECRET-008", `STRIPE_KEY=rk_live_${r(40)}`],
    ["SECRET-009", `key: AIza${r(35)}`],
    ["SECRET-011", `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`],
    ["SECRET-012", `//registry.npmjs.org/:_authToken=${checksummedToken(random, "npm_")}`],
    [
      "SECRET-012",
      `//npm.acme.io/:_authToken=${r(8, HEX)}-${r(4, HEX)}-${r(4, HEX)}-${r(4, HEX)}-${r(12, HEX)}`,
    ],
    ["SECRET-013", `password = pypi-AgEIcHlwaS5vcmc${r(80)}`],
    ["SECRET-014", `TWILIO_API_KEY: SK${r(32, HEX)}`],
    ["SECRET-015", `SENDGRID_API_KEY=SG.${r(22)}.${r(43)}`],
    [
      "SECRET-016",
      `AccountName=acme;AccountKey=${Buffer.from(r(64)).toString("base64")};EndpointSuffix=core.windows.net`,
    ],
    [
      "SECRET-016",
      `Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${r(43)}=`,
    ],
    ["SECRET-017", `export HEROKU_API_KEY=HRKU-${r(60)}`],
    ["SECRET-017", `HEROKU_API_KEY: ${r(8, HEX)}-${r(4, HEX)}-${r(4, HEX)}-${r(4, HEX)}-${r(12, HEX)}`],
    ["SECRET-018", `access_token: shpat_${r(32, HEX)}`],
    ["SECRET-019", `OPENAI_API_KEY=sk-proj-${r(40)}T3BlbkFJ${r(40)}`],
    ["SECRET-019", `ANTHROPIC_API_KEY=sk-ant-api03-${r(93)}`],
    [
      "SECRET-020",
      `Authorization: Bearer ${jwt({ alg: "RS256", typ: "JWT" }, { sub: "svc", exp: 1893456000 }, random)}`,
    ],
    ["SECRET-021", `DATABASE_URL=postgres://orders:${r(16)}@db.internal:5432/orders`],
    ["SECRET-021", `redis_url: redis://:${r(20)}@cache.internal:6379/0`],
    ["SECRET-022", `DB_PASSWORD=Zx9!mQ2#vL7pR4`],
    ["SECRET-022", `  "client_secret": "${r(24)}",`],
    ["SECRET-022", `spring.datasource.password=${r(6)}9${r(6)}`],
    ["SECRET-023", `DD_API_KEY: ${r(32, HEX)}`],
    ["SECRET-023", `datadog_app_key = "${r(40, HEX)}"`],
    ["SECRET-024", `MAILGUN_KEY=key-${r(32, HEX)}`],
    ["SECRET-024", `mailgun_api_key: ${r(32, HEX)}-${r(8, HEX)}-${r(8, HEX)}`],
    ["SECRET-025", `TELEGRAM_TOKEN=7${r(9, "0123456789")}:AA${r(33)}`],
    ["SECRET-026", `VAULT_TOKEN=hvs.${r(95)}`],
    ["SECRET-026", `token = "${r(14)}.atlasv1.${r(67)}"`],
  ])("%s finds %s", (id, text) => {
    expect(ids(text)).toEqual([id]);
  });

  it("finds a Google Cloud service account key file once, as that and not as a bare private key", () => {
    const key = `-----BEGIN PRIVATE KEY-----\\n${PEM_BODY.replace(/\n/g, "\\n")}\\n-----END PRIVATE KEY-----\\n`;
    const file = `{\n  "type": "service_account",\n  "project_id": "acme",\n  "private_key": "${key}",\n  "client_email": "ci@acme.iam.gserviceaccount.com"\n}\n`;
    const found = detect(file, "ci-key.json");
    expect(found.map((c) => c.ruleId)).toEqual(["SECRET-010"]);
    expect(found[0]?.detail).toBe("key of ci@acme.iam.gserviceaccount.com");
  });

  it("finds an AWS secret key next to its key id, as in the console's CSV download", () => {
    const csv = `User name,Access key ID,Secret access key\ndeployer,${AKID},${AWS_SECRET}\n`;
    expect(ids(csv, "deployer_accessKeys.csv")).toEqual(["SECRET-001", "SECRET-002"]);
    // Without a key id nearby, a 40-character string is only a 40-character string.
    expect(ids(`checksum,${AWS_SECRET}\n`, "sums.csv")).toEqual([]);
    // A git object id next to a key id is hex, not a secret key.
    expect(ids(`${AKID} ${r(40, HEX)}\n`, "notes.txt")).toEqual(["SECRET-001"]);
  });

  it.each([
    ["AWS's documented example key", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"],
    ["an x-ed out key", `STRIPE_KEY=sk_live_${"x".repeat(24)}`],
    ["a stand-in word", 'password: "changeme"'],
    ["an angle-bracket placeholder", "api_key = <your-api-key>"],
    ["a shell variable", "DB_PASSWORD=${DB_PASSWORD}"],
    ["a GitHub Actions secret", "password: ${{ secrets.REGISTRY_PASSWORD }}"],
    ["a Helm template", 'password: "{{ .Values.postgres.password }}"'],
    ["a command substitution", "TOKEN=$(cat /run/secrets/token)"],
    ["a CloudFormation reference", "MasterUserPassword: !Ref DatabasePassword"],
    ["an ERB lookup", 'password: <%= ENV["DB_PASSWORD"] %>'],
    ["an environment variable read in code", "const token = process.env.GITHUB_TOKEN;"],
    ["a Stripe test key", `STRIPE_SECRET_KEY=sk_test_${r(40)}`],
    ["a GitHub-shaped token with a wrong checksum", `echo ghp_${r(36)} | gh auth login --with-token`],
    ["an npm-shaped token with a wrong checksum", `echo npm_${r(36)} > ~/.npm-session`],
    [
      "jwt.io's sample token",
      `Bearer ${jwt({ alg: "HS256", typ: "JWT" }, { sub: "1234567890", name: "John Doe", iat: 1516239022 }, random)}`,
    ],
    ["a JWT header that is not JSON", `curl -H "X-Session: eyJ${r(20)}.eyJ${r(20)}.${r(30)}"`],
    ["a PEM header without a key", 'if (pem.startsWith("-----BEGIN PRIVATE KEY-----")) return;'],
    ["an elided PEM body", "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----"],
    ["the name of a secret", "secretName: payments-db-credentials"],
    ["a secret reference", "secretKeyRef:\n  name: payments\n  key: password"],
    ["a length setting", "PASSWORD_MIN_LENGTH=12"],
    ["an expression in code", "password = settings.database_password_for_reports"],
    ["a type annotation", "  token: string;"],
    ["a sentence", 'passwordHint: "Use at least twelve characters and a digit"'],
    ["prose in a translation file", '"Invalid_token_1012": "Jeton non valide."'],
    ["an environment variable's name", "password: DB_PASSWORD_FILE_PATH"],
    ["a documentation host", "git clone https://deploy:s3cr3tT0ken@example.com/acme/app.git"],
    ["a password equal to the user", "amqp://guest:guest@rabbitmq:5672/"],
    [
      "the Azure storage emulator's published key",
      "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
    ],
    ["a URL without credentials", "token_url: https://auth.acme.io/oauth/token"],
  ])("ignores %s", (_name, text) => {
    expect(ids(text, "config/settings.yaml")).toEqual([]);
  });

  it("ignores unquoted words after password = in source code, but not in configuration", () => {
    expect(ids("password = Hx7kQ2mZ9pL4", "app/settings.py")).toEqual([]);
    expect(ids("password = Hx7kQ2mZ9pL4", "app/settings.ini")).toEqual(["SECRET-022"]);
    expect(ids('password = "Hx7kQ2mZ9pL4"', "app/settings.py")).toEqual(["SECRET-022"]);
  });

  it("points at the secret's exact line and columns", () => {
    const token = checksummedToken(random, "ghp_");
    const [found] = detect(`# release settings\nexport GITHUB_TOKEN="${token}" # rotated monthly\n`);
    expect(found?.span).toEqual({ file: "config/app.env", line: 2, column: 22, endLine: 2, endColumn: 62 });
  });

  it("spans a private key from its header to its footer", () => {
    const text = `key: |\n  -----BEGIN EC PRIVATE KEY-----\n  ${PEM_BODY.trim().replace(/\n/g, "\n  ")}\n  -----END EC PRIVATE KEY-----\n`;
    const [found] = detect(text, "values.yaml");
    const lines = text.split("\n");
    expect(found?.ruleId).toBe("SECRET-011");
    expect(found?.kind).toBe("EC private key");
    expect(found?.span).toMatchObject({ line: 2, column: 3, endLine: lines.length - 1, endColumn: 31 });
  });

  it("gives one finding per secret: the most specific rule wins where matches overlap", () => {
    const github = checksummedToken(random, "ghp_");
    expect(ids(`git remote add origin https://x-access-token:${github}@github.com/acme/app.git`)).toEqual([
      "SECRET-003",
    ]);
    expect(ids(`//npm.pkg.github.com/:_authToken=${github}`, ".npmrc")).toEqual(["SECRET-003"]);
    expect(ids(`api_key: "sk_live_${r(40)}"`)).toEqual(["SECRET-008"]);
    // With the specific rule off, the generic one still catches the value.
    const generic = detect(
      `api_token = "${github}"`,
      "deploy.ini",
      SECRET_RULES.filter((rule) => rule.id !== "SECRET-003"),
    );
    expect(generic.map((c) => c.ruleId)).toEqual(["SECRET-022"]);
  });

  it("finds keywords inside longer keywords (`_password` holds `password`)", () => {
    expect(ids("DB_PASSWORD=Zx9mQ2vL7pR4\n")).toEqual(["SECRET-022"]);
  });

  it("runs a pattern only on the lines that hold one of its keywords", () => {
    const seen: number[] = [];
    const probe: SecretRule = {
      ...SECRET_RULES[0]!,
      id: "SECRET-999",
      detectors: [
        {
          kind: "probe",
          keywords: ["zq-probe"],
          pattern: /(?<secret>[A-Za-z0-9-]{12,})/dg,
          extract: (m) => {
            seen.push(m.index);
            return undefined;
          },
        },
      ],
    };
    detect("first line without the word, long enough to match\nnothing here either\n", "a.txt", [probe]);
    expect(seen).toEqual([]);
    const text = "unrelated words that would match\nvalue ZQ-PROBE-abcdefgh here\nmore unrelated words\n";
    detect(text, "a.txt", [probe]);
    expect(seen).toEqual([text.indexOf("ZQ-PROBE")]);
  });

  it("reports kinds from token prefixes", () => {
    expect(detect(`t=${checksummedToken(random, "gho_")}`)[0]?.kind).toBe("GitHub OAuth access token");
    expect(detect(`t=gldt-${r(20)}`)[0]?.kind).toBe("GitLab deploy token");
    expect(detect(`t=shpss_${r(32, HEX)}`)[0]?.kind).toBe("Shopify app shared secret");
  });

  it("describes a JWT's algorithm and expiry", () => {
    const token = jwt({ alg: "ES256" }, { sub: "svc" }, random);
    expect(detect(`TOKEN=${token}`)[0]?.detail).toBe("signed with ES256, no expiry");
  });
});

describe("which files the secrets scanner reads", () => {
  const file = (path: string) => ({ path, absolutePath: `/repo/${path}`, text: "" });

  it("reads every text file but lock files and build output", () => {
    for (const path of [
      "main.tf",
      ".env",
      "src/app.ts",
      "docs/setup.md",
      "Dockerfile",
      "web/vendor/jquery.js",
    ])
      expect(claimsForSecrets(file(path)), path).toBe(true);
    for (const path of [
      "package-lock.json",
      "web/yarn.lock",
      "pnpm-lock.yaml",
      "go.sum",
      "Cargo.lock",
      "poetry.lock",
      "infra/.terraform.lock.hcl",
      "public/app.min.js",
      "public/app.js.map",
      "public/styles.min.css",
    ])
      expect(claimsForSecrets(file(path)), path).toBe(false);
  });
});
