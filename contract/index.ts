/**
 * The public contract of pulumi-sms-channels in one neutral module that the provider, the store and
 * the policy pack share (the pack through a generated copy: scripts/gen-pack-contract.js). Files at
 * this level import nothing outside this folder; the zod schemas live in ./schema.
 */
export * from "./defaults";
export * from "./formats";
export * from "./keywords";
export * from "./records";
export * from "./tokens";
export * from "./unknown";
