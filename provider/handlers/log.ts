/**
 * Warnings from the provider process. The dynamic provider host has no engine log channel, so they
 * go to stderr, which the Pulumi CLI shows under the stack's diagnostics.
 */
const SAID = Symbol.for("pulumi-sms-channels.warnings-said");

/**
 * What this process already said, kept on the global object: a second copy of this module in the
 * same process (the host may load the package once per serialized provider) shares it.
 */
function said(): Set<string> {
  const g = globalThis as { [SAID]?: Set<string> };
  g[SAID] ??= new Set<string>();
  return g[SAID];
}

export function warn(message: string): void {
  // The same warning for twenty resources is noise: say it once per process.
  if (said().has(message)) return;
  said().add(message);
  console.warn(`warning: smschannels: ${message}`);
}
