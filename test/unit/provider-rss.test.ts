/**
 * Provider-process memory (issue 13: ≤ 200 MiB at 1,000 resources). undici's llhttp is WebAssembly;
 * V8's TurboFan recompilation of it raised the provider's peak RSS by ~30 MiB with its first requests.
 * The handlers keep V8 to its baseline WebAssembly compiler (provider/handlers/lean-wasm.ts).
 */
import { spawn } from "node:child_process";
import path from "node:path";

it("requests through the Twilio client raise the provider's peak RSS by little (no TurboFan WebAssembly)", async () => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(__dirname, "fixtures", "provider-wasm-rss-child.ts")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(code).toBe(0);
  const { growthMiB } = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { growthMiB: number };
  // Measured: 6–9 MiB with Liftoff only, 33–40 MiB when TurboFan recompiles llhttp.
  expect(growthMiB).toBeLessThan(20);
}, 60_000);
