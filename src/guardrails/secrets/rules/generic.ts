import type { SecretMatch, SecretRule } from "../detector.js";
import { shannonEntropy } from "../entropy.js";
import { isPlaceholder } from "../placeholders.js";
import { CWE_798, OWASP_SECRETS, ROTATE } from "./common.js";

const KEY_KINDS: Record<string, string> = {
  "": "Private key",
  "RSA ": "RSA private key",
  "DSA ": "DSA private key",
  "EC ": "EC private key",
  "OPENSSH ": "OpenSSH private key",
  "ENCRYPTED ": "Encrypted private key",
  "PGP ": "PGP private key block",
};

/** Lines of a PEM block that are headers, not key material (RFC 1421: Proc-Type, DEK-Info; PGP: Version, Comment). */
const PEM_FIELD = /^[ \t"']*[A-Za-z-]+: .*$/gm;

export const privateKey: SecretRule = {
  id: "SECRET-011",
  title: "Private key in a file",
  severity: "critical",
  framework: "secrets",
  rationale:
    "A private key proves identity: it opens SSH sessions, decrypts TLS traffic, signs code, commits or tokens as its owner. Unlike a password it is rarely rotated, so a leaked key stays useful for years.",
  remediation: `${ROTATE} Generate a new key pair, replace the public key everywhere it is trusted (authorized_keys, certificates, deploy keys), and keep private keys in a secret store or a hardware token.`,
  references: ["https://cwe.mitre.org/data/definitions/321.html", OWASP_SECRETS, CWE_798],
  detectors: [
    {
      kind: "Private key",
      keywords: ["private key"],
      pattern: /-----BEGIN (?<type>(?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?)PRIVATE KEY(?: BLOCK)?-----/dg,
      extract: (m, text): SecretMatch | undefined => {
        const headerEnd = m.index + m[0].length;
        const footer = text.indexOf("-----END ", headerEnd);
        // A header without its key (documentation, code that checks for the header) is not a key.
        if (footer === -1 || footer - headerEnd > 32_768) return undefined;
        const footerEnd = text.indexOf("-----", footer + 9);
        const body = text
          .slice(headerEnd, footer)
          .replace(PEM_FIELD, "")
          .replace(/\\[rn]|\s|["',+]/g, "");
        if (body.length < 64 || !/^[A-Za-z0-9+/=]+$/.test(body)) return undefined;
        const type = m.groups?.["type"] ?? "";
        const encrypted =
          type === "ENCRYPTED " || /Proc-Type: 4,ENCRYPTED/.test(text.slice(headerEnd, footer));
        return {
          value: body,
          start: m.index,
          end: footerEnd === -1 ? footer : footerEnd + 5,
          kind: KEY_KINDS[type],
          detail: encrypted
            ? "encrypted with a passphrase, which slows an offline attack on it but does not stop one"
            : undefined,
        };
      },
      minEntropy: 4,
      // A key inside a service account file is reported as that, with the account's name.
      rank: 1,
    },
  ],
};

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export const jsonWebToken: SecretRule = {
  id: "SECRET-020",
  title: "JSON Web Token in a file",
  severity: "medium",
  framework: "secrets",
  rationale:
    "A signed JWT is a bearer credential: any service that trusts its issuer accepts it as its subject until it expires, and tokens written into files are often long-lived service or admin tokens.",
  remediation: `${ROTATE} Revoke the token or rotate the signing key if the issuer cannot revoke single tokens, and have the program request a token at run time.`,
  references: [
    "https://datatracker.ietf.org/doc/html/rfc7519",
    "https://datatracker.ietf.org/doc/html/rfc8725",
    CWE_798,
  ],
  detectors: [
    {
      kind: "JSON Web Token",
      keywords: ["eyj"],
      pattern:
        /(?<![\w-])(?<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})(?![\w-])/dg,
      extract: (m): SecretMatch | undefined => {
        const range = m.indices?.groups?.["secret"];
        const value = m.groups?.["secret"];
        if (!range || value === undefined) return undefined;
        const [headerPart = "", payloadPart = ""] = value.split(".");
        const header = decodeJson(headerPart);
        const payload = decodeJson(payloadPart);
        if (!header || typeof header["alg"] !== "string" || !payload) return undefined;
        // jwt.io's sample token, and Supabase's anon key, which is public by design.
        if (payload["name"] === "John Doe" || payload["role"] === "anon") return undefined;
        const details = [`signed with ${header["alg"]}`];
        const exp = payload["exp"];
        if (typeof exp === "number" && Number.isFinite(exp))
          details.push(`expires ${new Date(exp * 1000).toISOString().slice(0, 10)}`);
        else details.push("no expiry");
        return { value, start: range[0], end: range[1], detail: details.join(", ") };
      },
    },
  ],
};

/** Hosts that only appear in documentation (RFC 2606 and RFC 6761 names). */
const DOCUMENTATION_HOST =
  /(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost\.localdomain)$/i;
const IMAGE_DIGEST = /^(?:sha256|sha384|sha512):/;

export const urlCredentials: SecretRule = {
  id: "SECRET-021",
  title: "Password embedded in a URL",
  severity: "high",
  framework: "secrets",
  rationale:
    "A URL of the form scheme://user:password@host carries the password wherever the URL goes: logs, error messages, process lists, proxies and browser history; RFC 3986 deprecates the form for that reason.",
  remediation: `${ROTATE} Change the password, then build the URL at run time from a secret (e.g. DATABASE_URL injected by the platform) or pass the password separately.`,
  references: [
    "https://datatracker.ietf.org/doc/html/rfc3986#section-3.2.1",
    "https://cwe.mitre.org/data/definitions/259.html",
    CWE_798,
  ],
  detectors: [
    {
      kind: "Password in URL",
      keywords: ["://"],
      // A provider token used as the password (https://oauth2:glpat-...@) is reported as that token.
      rank: 1,
      pattern:
        /(?<![\w+.-])(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]{1,30}):\/\/(?<user>[^\s:/?#@'"`<>{}()[\]]{0,128}):(?<secret>[^\s/?#@'"`<>]{1,256})@(?<host>[A-Za-z0-9._-]{1,253})/dg,
      extract: (m, text): SecretMatch | undefined => {
        const range = m.indices?.groups?.["secret"];
        const { user = "", secret, host = "", scheme = "" } = m.groups ?? {};
        if (!range || secret === undefined) return undefined;
        if (DOCUMENTATION_HOST.test(host) || secret === user || (isPlaceholder(user) && secret.length < 6))
          return undefined;
        // An image pinned by digest (`docker://alpine:3.20@sha256:...`) has the shape of a login.
        if (IMAGE_DIGEST.test(text.slice(m.index + m[0].length - host.length))) return undefined;
        return {
          value: secret,
          start: range[0],
          end: range[1],
          detail: `${scheme} login ${user || "with no user name"} at ${host}`,
        };
      },
    },
  ],
};

const GENERIC_KEY = String.raw`[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|credentials?)[A-Za-z0-9_.-]*`;

/** Names that hold something about a secret, not the secret: `secretName`, `token_url`, `password_min_length`. */
const NOT_A_SECRET_KEY =
  /(?:name|names|file|path|dir|url|uri|endpoint|host|len|length|size|type|id|ids|ref|arn|policy|mode|field|header|param|prefix|suffix|env|var|variable|source|count|expiry|expires|expiration|ttl|timeout|min|max|hash|algorithm|format|version|enabled|enable|required|regex|pattern|label|hint|prompt|placeholder|description|template|provider|store|manager|backend|location|selector|class|rotation|reset|confirm|confirmation|input|column|index|schema|strength|lifetime|duration|age|period|days|level|scope|scopes|audience|issuer|user|username|login|owner|kind|style|key_?id|keyid|public[_.-]?key)$/i;

/** Source code, where a bare word after `=` is an expression, not a literal. */
const CODE_FILE =
  /\.(?:[cm]?[jt]sx?|py|rb|go|java|kt|kts|scala|groovy|gradle|cs|fs|vb|php|rs|swift|m|mm|c|cc|cpp|h|hpp|dart|lua|pl|pm|r|jl|ex|exs|erl|clj|tf|hcl|sh|bash|zsh|ps1|psm1|sql|vue|svelte)$/i;

/** Stripe's test-mode and publishable keys, which SECRET-008 deliberately leaves out. */
const NOT_SECRET_VALUE = /^(?:(?:sk|rk|pk)_test_|pk_live_)/;

/** How many of lower case, upper case, digits and symbols a value mixes. */
function charClasses(value: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
}

function looksLikeLiteralSecret(value: string, quoted: boolean): boolean {
  if (value.length < 8 || value.length > 300) return false;
  if (charClasses(value) < 2) return false;
  // Words joined by separators or in camel case are names (`my-app-secret`, `db.password.prod`,
  // `?NonExpressionParenEnd`); text with spaces is prose (messages, translations).
  if (
    /^[A-Za-z]+(?:[-_.][A-Za-z]+)*$/.test(value) ||
    /^[?@#:$]?(?:[A-Z]?[a-z]+)+$/.test(value) ||
    /\s/.test(value)
  )
    return false;
  // Paths, URLs (credentials in URLs are SECRET-021), e-mail addresses, YAML tags and anchors.
  if (
    /^(?:\/|\.\.?\/|~\/|[A-Za-z]:\\|[a-z][a-z0-9+.-]*:\/\/|[!&*])/i.test(value) ||
    /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(value)
  )
    return false;
  // An environment variable's name, written where its value is read (`password: DB_PASSWORD`).
  if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(value)) return false;
  return shannonEntropy(value) >= (quoted ? 3 : 3.3);
}

export const genericSecret: SecretRule = {
  id: "SECRET-022",
  title: "Password or secret assigned in plain text",
  severity: "high",
  framework: "secrets",
  rationale:
    "A literal value assigned to a password, secret, token or API key setting is readable by everyone with access to the repository, its forks, backups and CI logs, and stays in the history after it is changed.",
  remediation: `${ROTATE} Replace the value with a reference the program resolves at run time (\${DB_PASSWORD}, \${{ secrets.DB_PASSWORD }}, a secretKeyRef); if it is test data, make it obviously fake (e.g. "changeme") or list it in .slipway/secrets-allow.yaml.`,
  references: [CWE_798, "https://cwe.mitre.org/data/definitions/259.html", OWASP_SECRETS],
  detectors: [
    {
      kind: "Secret",
      keywords: [
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "api.key",
        "accesskey",
        "access_key",
        "access-key",
        "access.key",
        "privatekey",
        "private_key",
        "private-key",
        "private.key",
        "credential",
      ],
      pattern: new RegExp(
        String.raw`(?<![A-Za-z0-9_.-])["']?(?<key>${GENERIC_KEY})["']?[ \t]*(?::=|=>|=|:)(?![=:])[ \t]*(?:"(?<dq>(?:[^"\\\r\n]|\\.){1,300})"|'(?<sq>[^'\r\n]{1,300})'|(?<bare>[^\s"'#;,)}\]][^\s"';,)}\]]{0,299}))`,
        "dgi",
      ),
      extract: (m, _text, path): SecretMatch | undefined => {
        const groups = m.groups ?? {};
        const key = groups["key"] ?? "";
        if (NOT_A_SECRET_KEY.test(key) || /public|publishable/i.test(key)) return undefined;
        const name = groups["dq"] !== undefined ? "dq" : groups["sq"] !== undefined ? "sq" : "bare";
        const value = groups[name];
        const range = m.indices?.groups?.[name];
        if (value === undefined || !range) return undefined;
        const quoted = name !== "bare";
        // In source code an unquoted word is an expression (`password = config.password`).
        if (!quoted && CODE_FILE.test(path)) return undefined;
        // An Authorization header value: the credential is what follows the scheme.
        const scheme = /^(?:Bearer|Basic|Token|token)\s+/.exec(value)?.[0].length ?? 0;
        const secret = value.slice(scheme);
        if (!looksLikeLiteralSecret(secret, quoted) || NOT_SECRET_VALUE.test(secret)) return undefined;
        return { value: secret, start: range[0] + scheme, end: range[1], key };
      },
      rank: 2,
    },
  ],
};
