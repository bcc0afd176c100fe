/**
 * Warnings from the provider process. The dynamic provider host has no engine log channel, so they
 * go to stderr, which the Pulumi CLI shows under the stack's diagnostics.
 */
const said = new Set<string>();

export function warn(message: string): void {
  // The same warning for twenty resources is noise: say it once per process.
  if (said.has(message)) return;
  said.add(message);
  console.warn(`warning: smschannels: ${message}`);
}
