/** Hand-built arguments for calling the policies as plain functions, the way the policy server does. */
import type {
  Policy,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { TYPES } from "../policies/formats";

// The SDK's own proxy and sentinels: internal to @pulumi/policy, so they are not in its typings.
const proxyModule = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(value: T): T;
  unknownStringValue: string;
  unknownArrayValue: string;
  unknownObjectValue: string;
};

/** What the engine sends for values unknown in preview. */
export const UNKNOWN_STRING = proxyModule.unknownStringValue;
export const UNKNOWN_ARRAY = proxyModule.unknownArrayValue;
export const UNKNOWN_OBJECT = proxyModule.unknownObjectValue;

/** Wraps props the way the policy server does: reading an unknown value throws. */
export const asServerProps = proxyModule.unknownCheckingProxy;

export { TYPES };

export interface Reported {
  message: string;
  urn?: string;
  /** "policy": at the policy's own level; "advisory": forced advisory (a cannot-decide note). */
  level: "policy" | "advisory";
}

export function collector(): { reportViolation: ReportViolation; reported: Reported[] } {
  const reported: Reported[] = [];
  const reportViolation = ((message: unknown, urn?: string) => {
    if (typeof message === "string") {
      reported.push({ message, level: "policy", ...(urn === undefined ? {} : { urn }) });
      return;
    }
    const m = message as { message: string; urn?: string; enforcementLevel?: string };
    if (m.enforcementLevel !== "advisory")
      throw new Error(`unexpected enforcement level ${m.enforcementLevel}`);
    reported.push({ message: m.message, level: "advisory", ...(m.urn === undefined ? {} : { urn: m.urn }) });
  }) as ReportViolation;
  return { reportViolation, reported };
}

const emptyOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:dev::sms::${type}::${name}`;
}

function notApplicable(reason?: string): never {
  throw new Error(`notApplicable: ${reason ?? ""}`);
}

export interface ResourceOptions {
  /** Pulumi resource name; default "res". */
  name?: string;
  config?: object;
  /** Wrap props in the server's unknown-checking proxy; default true. */
  proxy?: boolean;
}

export function resourceArgs(
  type: string,
  props: Record<string, unknown>,
  options: ResourceOptions = {},
): ResourceValidationArgs {
  const name = options.name ?? "res";
  const wrapped = options.proxy === false ? props : asServerProps(props);
  return {
    type,
    props: wrapped,
    urn: urnOf(type, name),
    name,
    opts: emptyOptions,
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => (options.config ?? {}) as T,
    notApplicable,
  };
}

export function stackResource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  propertyDependencies: Record<string, PolicyResource[]> = {},
  options: { proxy?: boolean } = {},
): PolicyResource {
  return {
    type,
    props: options.proxy === false ? props : asServerProps(props),
    urn: urnOf(type, name),
    name,
    opts: emptyOptions,
    dependencies: Object.values(propertyDependencies).flat(),
    propertyDependencies,
    isType: () => false,
    asType: () => undefined,
  };
}

export function stackArgs(resources: PolicyResource[], config: object = {}): StackValidationArgs {
  return {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

function validationsOf(policy: Policy): ((...a: never[]) => unknown)[] {
  const v = (policy as ResourceValidationPolicy).validateResource;
  if (v === undefined) throw new Error(`${policy.name} has no validateResource`);
  return Array.isArray(v) ? v : [v];
}

export async function runResource(policy: Policy, args: ResourceValidationArgs): Promise<Reported[]> {
  const { reportViolation, reported } = collector();
  for (const validate of validationsOf(policy) as ((
    a: ResourceValidationArgs,
    r: ReportViolation,
  ) => unknown)[]) {
    await validate(args, reportViolation);
  }
  return reported;
}

export async function runStack(policy: Policy, args: StackValidationArgs): Promise<Reported[]> {
  const validate = (policy as StackValidationPolicy).validateStack;
  if (validate === undefined) throw new Error(`${policy.name} has no validateStack`);
  const { reportViolation, reported } = collector();
  await validate(args, reportViolation);
  return reported;
}

// Resource builders with valid defaults, so that each test changes only what it is about.

export function smsCredential(name: string, props: Record<string, unknown> = {}, deps = {}): PolicyResource {
  return stackResource(
    TYPES.SmsApiCredential,
    name,
    { name, sandbox: "prod", accountSid: `AC${"0".repeat(32)}`, ...props },
    deps,
  );
}

export function rcsCredential(name: string, props: Record<string, unknown> = {}): PolicyResource {
  return stackResource(TYPES.CustomRcsCredential, name, {
    name,
    sandbox: "prod",
    providerName: "vendor",
    providerUrl: "https://rcs.example.com/send",
    ...props,
  });
}

export function webhook(
  name: string,
  props: Record<string, unknown> = {},
  deps: Record<string, PolicyResource[]> = {},
): PolicyResource {
  return stackResource(TYPES.SmsWebhook, name, { name, sandbox: "prod", type: "inbound", ...props }, deps);
}

export function channel(
  name: string,
  props: Record<string, unknown> = {},
  deps: Record<string, PolicyResource[]> = {},
): PolicyResource {
  return stackResource(
    TYPES.ChannelConfiguration,
    name,
    {
      name,
      sandbox: "prod",
      channel: "sms",
      messageType: "transactional",
      senderNumber: "+14155550100",
      ...props,
    },
    deps,
  );
}
