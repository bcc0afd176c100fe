/**
 * Following references between resources in a stack policy: the resource behind an id input is found through
 * `propertyDependencies` (the resources the input was computed from), or, for an id given as a plain string,
 * through the `recordId` output of a resource of this stack, when the provider exposes one.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  DEFAULT_SANDBOX,
  TYPES,
  credentialTypeOfResourceType,
  shortType,
  type CredentialType,
} from "./formats";
import { UNKNOWN, quote, read, type Unknown } from "./values";

export interface StackIndex {
  readonly byRecordId: ReadonlyMap<string, PolicyResource>;
}

export function indexStack(resources: readonly PolicyResource[]): StackIndex {
  const byRecordId = new Map<string, PolicyResource>();
  for (const r of resources) {
    const id = read(r.props, "recordId");
    if (typeof id === "string" && id !== "") byRecordId.set(id, r);
  }
  return { byRecordId };
}

export interface References {
  /** The resources of the wanted types the property refers to. */
  readonly resources: PolicyResource[];
  /**
   * How many of the referenced records this stack cannot show: ids given as plain strings that match no
   * resource of the stack, and values unknown in preview that came from no resource of the stack.
   */
  readonly unresolved: number;
  /** The plain ids among those, where they can be named. */
  readonly unresolvedIds: string[];
}

function unique(resources: PolicyResource[]): PolicyResource[] {
  const seen = new Set<string>();
  return resources.filter((r) => !seen.has(r.urn) && seen.add(r.urn));
}

function dependenciesOf(resource: PolicyResource, properties: readonly string[], types: readonly string[]) {
  const deps = properties.flatMap((p) => resource.propertyDependencies[p] ?? []);
  return unique(deps.filter((d) => types.includes(d.type)));
}

function byRecordId(index: StackIndex, id: string, types: readonly string[]): PolicyResource | undefined {
  const match = index.byRecordId.get(id);
  return match && types.includes(match.type) ? match : undefined;
}

/** What a single id input (`apiCredentialId`) refers to, among resources of the given types. */
export function referencedBy(
  resource: PolicyResource,
  property: string,
  types: readonly string[],
  index: StackIndex,
  alsoDependencyOf: readonly string[] = [],
): References {
  const deps = dependenciesOf(resource, [property, ...alsoDependencyOf], types);
  if (deps.length > 0) return { resources: deps, unresolved: 0, unresolvedIds: [] };
  const value = read(resource.props, property);
  if (value === UNKNOWN) return { resources: [], unresolved: 1, unresolvedIds: [] };
  if (typeof value !== "string" || value === "") return { resources: [], unresolved: 0, unresolvedIds: [] };
  const match = byRecordId(index, value, types);
  if (match) return { resources: [match], unresolved: 0, unresolvedIds: [] };
  return { resources: [], unresolved: 1, unresolvedIds: [value] };
}

/**
 * What a list of ids (`webhookIds`) refers to, among resources of the given types. Dependencies say which
 * resources fed the list but not which element each one gave, so the elements they do not account for are
 * counted as unresolved.
 */
export function referencedByList(
  resource: PolicyResource,
  property: string,
  types: readonly string[],
  index: StackIndex,
): References {
  const deps = dependenciesOf(resource, [property], types);
  const value = read(resource.props, property);
  if (value === UNKNOWN) return { resources: deps, unresolved: deps.length === 0 ? 1 : 0, unresolvedIds: [] };
  if (!Array.isArray(value)) return { resources: deps, unresolved: 0, unresolvedIds: [] };
  const found = [...deps];
  const unmatched: string[] = [];
  let elements = 0;
  for (let i = 0; i < value.length; i++) {
    const e = read(value, i);
    if (e !== UNKNOWN && typeof e !== "string") continue;
    elements++;
    if (e === UNKNOWN) continue;
    const match = byRecordId(index, e, types);
    if (!match) unmatched.push(e);
    else if (!found.some((r) => r.urn === match.urn)) found.push(match);
  }
  const unresolved = Math.max(0, elements - found.length);
  return { resources: found, unresolved, unresolvedIds: unresolved === unmatched.length ? unmatched : [] };
}

/** The sandbox of a resource (`prod` when omitted), or UNKNOWN. */
export function sandboxOf(resource: { props: Record<string, unknown> }): string | Unknown | undefined {
  const s = read(resource.props, "sandbox");
  if (s === UNKNOWN) return UNKNOWN;
  if (s === undefined) return DEFAULT_SANDBOX;
  return typeof s === "string" ? s : undefined;
}

/** The credential type of a credential resource, from its type token. */
export function credentialTypeOf(resource: PolicyResource): CredentialType | undefined {
  return credentialTypeOfResourceType(resource.type);
}

/** `SmsApiCredential "twilio-main"`: the kind and the record name (the Pulumi name when the record name is unknown). */
export function describe(resource: { type: string; name: string; props: Record<string, unknown> }): string {
  const name = read(resource.props, "name");
  const shown = typeof name === "string" && name !== "" ? name : resource.name;
  return `${shortType(resource.type)} ${quote(shown)}`;
}

export const CREDENTIAL_TYPES: readonly string[] = [TYPES.SmsApiCredential, TYPES.CustomRcsCredential];
