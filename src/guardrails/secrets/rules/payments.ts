import type { SecretRule } from "../detector.js";
import { CWE_798, ROTATE } from "./common.js";

export const stripeLiveKey: SecretRule = {
  id: "SECRET-008",
  title: "Stripe live secret or restricted key in a file",
  severity: "critical",
  framework: "secrets",
  rationale:
    "A live secret key moves real money: it creates charges and refunds, reads customers and payment methods, and changes payouts. Restricted keys do the same within their permissions. Test-mode keys (sk_test_) are not reported.",
  remediation: `${ROTATE} Roll the key in the Stripe dashboard (Developers > API keys) and keep the new one in the application's secret store.`,
  references: ["https://docs.stripe.com/keys", "https://docs.stripe.com/keys-best-practices", CWE_798],
  detectors: [
    {
      kind: "Stripe live key",
      keywords: ["sk_live_", "rk_live_"],
      pattern: /(?<![\w])(?<secret>(?:sk|rk)_live_[0-9A-Za-z]{20,247})(?![\w])/dg,
      minEntropy: 3.5,
    },
  ],
};

const SHOPIFY_KINDS: Record<string, string> = {
  shpat: "Shopify Admin API access token",
  shpca: "Shopify custom app access token",
  shppa: "Shopify private app access token",
  shpss: "Shopify app shared secret",
};

export const shopifyToken: SecretRule = {
  id: "SECRET-018",
  title: "Shopify access token or shared secret in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "A Shopify Admin API token reads and changes the store's orders, customers and products with its scopes; an app's shared secret forges the webhooks and session tokens the app trusts.",
  remediation: `${ROTATE} Uninstall and reinstall the app, or rotate its credentials in the Partner dashboard, to invalidate the token.`,
  references: ["https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens", CWE_798],
  detectors: [
    {
      kind: "Shopify token",
      keywords: ["shpat_", "shpca_", "shppa_", "shpss_"],
      pattern: /(?<![\w])(?<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})(?![\w])/dg,
      extract: (m) => {
        const range = m.indices?.groups?.["secret"];
        const value = m.groups?.["secret"];
        if (!range || value === undefined) return undefined;
        return { value, start: range[0], end: range[1], kind: SHOPIFY_KINDS[value.slice(0, 5)] };
      },
      minEntropy: 3,
    },
  ],
};
