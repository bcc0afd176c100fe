/**
 * What preview can tell before anything is written, so that a mistake stops the run before its
 * first write rather than halfway through `up`: references across sandboxes, a name another
 * resource already holds in the store, a store token without the scope or sandbox the resource needs.
 */
import { StoreError } from "../../store/errors";
import { settingName } from "../config";
import { ProviderError } from "../errors";
import type { RecordKind } from "../../store/types";
import { ALL_SANDBOXES, type TokenInfo, type TokenScope } from "../../store/tokens/model";
import type { CheckFailure } from "../schema/check";
import { containsUnknown, isUnknown } from "../schema/check";
import type { Inputs } from "./common";
import type { ProviderContext } from "./context";
import { DEFAULT_SANDBOX } from "../../contract/defaults";

const known = (v: unknown): v is string => typeof v === "string" && !isUnknown(v);

/** A credential or webhook resource passed from another sandbox: the store would refuse it at up. */
export function referenceSandboxFailures(type: string, news: Inputs): CheckFailure[] {
  const sandbox = news["sandbox"] ?? DEFAULT_SANDBOX;
  if (!known(sandbox)) return [];
  const failures: CheckFailure[] = [];
  const credential = news["apiCredentialSandbox"];
  if (known(credential) && credential !== sandbox) {
    failures.push({
      property: "apiCredential",
      reason: `the credential is in sandbox "${credential}", this ${type} in sandbox "${sandbox}": a resource and what it refers to live in one sandbox; give both the same sandbox`,
    });
  }
  const hooks = news["webhookSandboxes"];
  if (Array.isArray(hooks) && !containsUnknown(hooks)) {
    const other = [...new Set(hooks.filter((h): h is string => known(h) && h !== sandbox))];
    if (other.length > 0) {
      failures.push({
        property: "webhooks",
        reason: `webhooks in sandbox ${other.map((o) => `"${o}"`).join(", ")}, this ${type} in sandbox "${sandbox}": a resource and what it refers to live in one sandbox; give them the same sandbox`,
      });
    }
  }
  return failures;
}

/**
 * A create, rename or move into a name that another resource (another URN, or a record written
 * outside Pulumi) holds in the store. The same URN's own record is not "another": a create retried
 * after a crash, or an undone replacement, takes it back.
 */
export async function nameTakenFailures(
  ctx: ProviderContext,
  kind: RecordKind,
  news: Inputs,
  olds: Inputs,
): Promise<CheckFailure[]> {
  const sandbox = news["sandbox"] ?? DEFAULT_SANDBOX;
  const name = news["name"];
  if (!known(sandbox) || !known(name)) return [];
  if (olds["name"] === name && (olds["sandbox"] ?? DEFAULT_SANDBOX) === sandbox) return [];
  const store = await ctx.storeIfPresent().catch(() => undefined);
  if (!store) return [];
  // Any trouble reaching the store is for the write to report; preview says what it knows.
  const existing = await store.findByName(sandbox, kind, name).catch(() => undefined);
  if (!existing || (existing.ownerUrn !== undefined && existing.ownerUrn === news["ownerUrn"])) return [];
  const by = existing.ownerUrn ? `written by ${existing.ownerUrn}` : "written outside Pulumi";
  return [
    {
      property: "name",
      reason: `${kind} "${name}" already exists in sandbox "${sandbox}" (id ${existing.id}, ${by}); names are unique per sandbox and kind: choose another name`,
    },
  ];
}

/** The scopes a token must hold for this resource in its sandbox. */
export function scopesNeeded(needsSecrets: boolean): TokenScope[] {
  return needsSecrets ? ["write", "runtime"] : ["write"];
}

/** The store service's token lacks the sandbox or a scope this resource needs. */
export async function tokenFailures(
  ctx: ProviderContext,
  type: string,
  news: Inputs,
  scopes: readonly TokenScope[],
  why: string,
): Promise<CheckFailure[]> {
  const sandbox = news["sandbox"] ?? DEFAULT_SANDBOX;
  if (!known(sandbox) || !ctx.settings.storeUrl) return [];
  let token: TokenInfo | undefined;
  try {
    token = await ctx.tokenInfo();
  } catch (e) {
    // A service that cannot be used stops the preview, before anything is written: a refused token,
    // a missing one, a URL that does not answer. Asked once per provider process, so one slow failure.
    return storeUnusable(e);
  }
  if (!token) return [];
  const sandboxOk = token.sandbox === ALL_SANDBOXES || token.sandbox === sandbox;
  const missing = scopes.filter((s) => !token.scopes.includes(s));
  if (sandboxOk && missing.length === 0) return [];
  const what = sandboxOk
    ? `lacks the ${missing.map((m) => `"${m}"`).join(" and ")} scope${missing.length > 1 ? "s" : ""}`
    : `is for sandbox "${token.sandbox}", not "${sandbox}"`;
  return [
    configFailure(
      "storeToken",
      `the store token (id ${token.id}) ${what}, which this ${type} needs (${why}). An admin of the store service makes one, with SMSCHANNELS_STORE_DATABASE set to its database: npx pulumi-sms-channels-store token create --sandbox ${sandbox} ${scopes.map((s) => `--scope ${s}`).join(" ")}`,
    ),
  ];
}

/**
 * A failure of the provider's configuration rather than of an input: no property, so the engine says
 * "has a problem: smschannels:storeToken (or SMSCHANNELS_STORE_TOKEN): …" instead of "property
 * smschannels:storeToken value {<nil>} has a problem", which reads as if the key were unset.
 */
export function configFailure(key: Parameters<typeof settingName>[0], reason: string): CheckFailure {
  return { property: "", reason: `${settingName(key)}: ${reason}` };
}

/** Why the store service cannot be used, on the setting to fix; [] for errors a write reports better. */
function storeUnusable(e: unknown): CheckFailure[] {
  if (ProviderError.is(e, "INVALID_CONFIG")) return [{ property: "", reason: e.message }];
  if (StoreError.is(e, "UNAUTHORIZED")) return [configFailure("storeToken", e.message)];
  if (StoreError.is(e, "UNAVAILABLE")) return [configFailure("storeUrl", e.message)];
  // The store client's own URL rules are the settings' (config.ts) by now; its token rule is not.
  if (StoreError.is(e, "INVALID_INPUT") && e.field === "storeToken")
    return [configFailure("storeToken", e.message.replace(/^storeToken: /, ""))];
  return [];
}
