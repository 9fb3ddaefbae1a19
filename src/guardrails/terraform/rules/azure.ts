/**
 * Azure: storage accounts, network security groups, Key Vault and Azure SQL. Argument names
 * changed between azurerm 3.x and 4.x (`enable_https_traffic_only` became
 * `https_traffic_only_enabled`); both spellings are read.
 */
import type { Rule } from "../../model.js";
import type { TerraformModel, TfResource } from "../model.js";
import {
  AZURE_DOCS,
  blocksOf,
  find,
  flag,
  knownStrings,
  mergeProvenance,
  portSpecIncludes,
  reportOn,
  text,
  tf,
  type Place,
  type Target,
  ofType,
} from "./helpers.js";

type TfRule = Rule<TerraformModel>;

const httpsOnly: TfRule = {
  ...tf({
    id: "TF-073",
    title: "Storage account accepts plain HTTP requests",
    severity: "medium",
    rationale:
      "With secure transfer disabled, requests (including shared access signatures and account keys in headers) and data can travel unencrypted between clients and the storage account.",
    remediation:
      "Remove https_traffic_only_enabled = false (enable_https_traffic_only in azurerm 3.x) or set it to true.",
    references: [
      "CIS Microsoft Azure Foundations Benchmark v2.0.0 3.1",
      `${AZURE_DOCS}storage_account#https_traffic_only_enabled`,
    ],
  }),
  check(model, report) {
    for (const account of ofType(model, "azurerm_storage_account"))
      for (const name of ["https_traffic_only_enabled", "enable_https_traffic_only"]) {
        const value = flag(account, name, true);
        if (value?.value === false)
          reportOn(report, account, `${account.address} accepts plain HTTP`, value.at);
      }
  },
};

const storageTls: TfRule = {
  ...tf({
    id: "TF-074",
    title: "Storage account allows TLS versions older than 1.2",
    severity: "medium",
    rationale:
      "TLS 1.0 and 1.1 are deprecated (RFC 8996) and being retired by Azure; allowing them lets clients negotiate weak encryption for requests carrying keys and data.",
    remediation: 'Set min_tls_version = "TLS1_2" (the provider default), or remove the override.',
    references: [
      "CIS Microsoft Azure Foundations Benchmark v2.0.0 3.15",
      `${AZURE_DOCS}storage_account#min_tls_version`,
    ],
  }),
  check(model, report) {
    for (const account of ofType(model, "azurerm_storage_account")) {
      const version = text(account, "min_tls_version");
      if (version?.value === "TLS1_0" || version?.value === "TLS1_1")
        reportOn(report, account, `${account.address} accepts ${version.value}`, version.at);
    }
  },
};

const INTERNET_SOURCES = new Set(["*", "0.0.0.0", "0.0.0.0/0", "::/0", "internet", "any"]);
const TCP_PROTOCOLS = new Set(["tcp", "*"]);

interface NsgOpening {
  place: Place;
  source: string;
}

function nsgOpening(rule: Target, port: number): NsgOpening | undefined {
  const direction = text(rule, "direction");
  const access = text(rule, "access");
  const protocol = text(rule, "protocol");
  if (direction?.value?.toLowerCase() !== "inbound" || access?.value?.toLowerCase() !== "allow")
    return undefined;
  if (protocol?.value === undefined || !TCP_PROTOCOLS.has(protocol.value.toLowerCase())) return undefined;
  const sources = [find(rule, "source_address_prefix"), find(rule, "source_address_prefixes")];
  let sourceAt;
  let source: string | undefined;
  for (const at of sources) {
    const match = knownStrings(at)?.find((s) => INTERNET_SOURCES.has(s.trim().toLowerCase()));
    if (match !== undefined) {
      sourceAt = at;
      source = match;
      break;
    }
  }
  if (!sourceAt || source === undefined) return undefined;
  const ports = [find(rule, "destination_port_range"), find(rule, "destination_port_ranges")];
  const portAt = ports.find((at) => knownStrings(at)?.some((spec) => portSpecIncludes(spec, port)));
  if (!portAt) return undefined;
  return {
    source,
    place: { span: sourceAt.span, provenance: mergeProvenance(sourceAt.provenance, portAt.provenance) },
  };
}

function nsgRule(id: string, port: number, service: string, benchmark: string): TfRule {
  return {
    ...tf({
      id,
      title: `Network security group allows ${service} (port ${port}) from the internet`,
      severity: "high",
      rationale: `An inbound Allow from * or Internet to port ${port} exposes ${service} on every VM behind the group to the brute-force and exploit attempts that scan Azure address ranges constantly.`,
      remediation: `Restrict source_address_prefix to known ranges, or remove the rule and use Azure Bastion or just-in-time VM access for ${service}.`,
      references: [benchmark, `${AZURE_DOCS}network_security_rule`, `${AZURE_DOCS}network_security_group`],
    }),
    check(model, report) {
      const candidates: { owner: TfResource; rule: Target }[] = [
        ...ofType(model, "azurerm_network_security_rule").map((r) => ({
          owner: r,
          rule: r,
        })),
        ...ofType(model, "azurerm_network_security_group").flatMap((group) =>
          blocksOf(group, "security_rule").map((rule) => ({ owner: group, rule })),
        ),
      ];
      for (const { owner, rule } of candidates) {
        const opening = nsgOpening(rule, port);
        if (!opening) continue;
        const name = text(rule, "name")?.value;
        reportOn(
          report,
          owner,
          `${name ? `rule "${name}" of ` : ""}${owner.address} allows ${service} (port ${port}) from ${opening.source}`,
          opening.place,
        );
      }
    },
  };
}

const keyVaultPurgeProtection: TfRule = {
  ...tf({
    id: "TF-077",
    title: "Key Vault purge protection is disabled",
    severity: "medium",
    rationale:
      "Without purge protection a deleted vault or key can be purged immediately, by mistake or by an attacker, permanently destroying the keys that encrypt your data.",
    remediation:
      "Set purge_protection_enabled = true (soft delete is always on; purge protection cannot be turned off again).",
    references: [
      "CIS Microsoft Azure Foundations Benchmark v2.0.0 8.5",
      `${AZURE_DOCS}key_vault#purge_protection_enabled`,
    ],
  }),
  check(model, report) {
    for (const vault of ofType(model, "azurerm_key_vault")) {
      const purge = flag(vault, "purge_protection_enabled", false);
      if (purge && !purge.value)
        reportOn(
          report,
          vault,
          `${vault.address} can be purged without waiting for the retention period`,
          purge.at,
        );
    }
  },
};

const sqlPublicNetwork: TfRule = {
  ...tf({
    id: "TF-078",
    title: "Azure SQL server allows public network access",
    severity: "medium",
    rationale:
      "Public network access is on by default: the server's endpoint then accepts connections from the internet, limited only by firewall rules that are easy to widen (0.0.0.0-255.255.255.255) by mistake.",
    remediation: "Set public_network_access_enabled = false and connect through a private endpoint.",
    references: [`${AZURE_DOCS}mssql_server#public_network_access_enabled`],
  }),
  check(model, report) {
    for (const server of ofType(model, "azurerm_mssql_server", "azurerm_sql_server")) {
      const open = flag(server, "public_network_access_enabled", true);
      if (open?.value === true)
        reportOn(report, server, `${server.address} accepts connections from public networks`, open.at);
    }
  },
};

const storagePublicBlobs: TfRule = {
  ...tf({
    id: "TF-079",
    title: "Storage account allows public access to blobs",
    severity: "medium",
    rationale:
      "allow_nested_items_to_be_public defaults to true: any container can then be switched to anonymous read access with one setting, without anyone touching the account's configuration.",
    remediation:
      "Set allow_nested_items_to_be_public = false (allow_blob_public_access = false in azurerm 2.x).",
    references: [
      "CIS Microsoft Azure Foundations Benchmark v2.0.0 3.7",
      `${AZURE_DOCS}storage_account#allow_nested_items_to_be_public`,
    ],
  }),
  check(model, report) {
    for (const account of ofType(model, "azurerm_storage_account")) {
      const legacy = flag(account, "allow_blob_public_access", false);
      if (legacy?.at) {
        if (legacy.value)
          reportOn(report, account, `${account.address} allows public blob access`, legacy.at);
        continue;
      }
      const nested = flag(account, "allow_nested_items_to_be_public", true);
      if (nested?.value === true)
        reportOn(
          report,
          account,
          nested.at
            ? `${account.address} allows containers to be made public`
            : `${account.address} does not set allow_nested_items_to_be_public, which defaults to true`,
          nested.at,
        );
    }
  },
};

export const azureRules: TfRule[] = [
  httpsOnly,
  storageTls,
  nsgRule("TF-075", 22, "SSH", "CIS Microsoft Azure Foundations Benchmark v2.0.0 6.2"),
  nsgRule("TF-076", 3389, "RDP", "CIS Microsoft Azure Foundations Benchmark v2.0.0 6.1"),
  keyVaultPurgeProtection,
  sqlPublicNetwork,
  storagePublicBlobs,
];
