// The cost of provider operations through the shared store service against the embedded store:
// the same stack (a credential and N channels, validation off) deployed and destroyed with the real
// Pulumi CLI, on the embedded SQLite store and on the service (its own process, SQLite behind it).
// Prints a table and appends it to bench/RESULTS.md. Run: npx tsx bench/provider/run.ts [N] [rounds]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keyring } from "../../store/crypto";
import { expectSuccess, REPO_ROOT, TestStack } from "../../test/support/pulumi";
import { createToken, freePort, ServiceProcess } from "../../test/support/store-process";

const count = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 3);

interface Sample {
  up: number;
  destroy: number;
}

async function measure(
  mode: "embedded" | "service",
  config: Record<string, string>,
  secrets: Record<string, string>,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = await TestStack.create("many-channels", {
      config: {
        "test:prefix": `${mode}${i}`,
        "test:count": String(count),
        "test:sandbox": `bench-${mode}`,
        "smschannels:validation": "off",
        ...config,
      },
      secrets: { "test:authToken": "b".repeat(32), ...secrets },
    });
    try {
      const up = expectSuccess(await s.up());
      const down = expectSuccess(await s.destroy());
      samples.push({ up: up.ms, destroy: down.ms });
    } finally {
      s.cleanup();
    }
  }
  return samples;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-bench-provider-"));
  const key = Keyring.generateKeyText();
  const database = path.join(dir, "service.db");
  const service = await ServiceProcess.start(database, key, await freePort());
  try {
    const token = createToken(database, key, "*", "read", "write");
    const embedded = await measure("embedded", {}, {});
    const viaService = await measure(
      "service",
      { "smschannels:storeUrl": service.url },
      { "smschannels:storeToken": token },
    );
    const ops = count + 1;
    const rows = [
      ["embedded", embedded],
      ["service", viaService],
    ] as const;
    const lines = [
      `## Provider operations: the shared service against the embedded store`,
      ``,
      `\`npx tsx bench/provider/run.ts ${count} ${rounds}\` on ${new Date().toISOString().slice(0, 10)}: \`pulumi up\` then \`pulumi destroy\` of one SmsApiCredential and ${count} ChannelConfigurations (validation off, so no Twilio), median of ${rounds} fresh stacks; ${os.cpus().length} CPUs, Node ${process.version}. The service runs in its own process on SQLite, on loopback.`,
      ``,
      `| store | up (ms) | destroy (ms) | up per resource (ms) |`,
      `| --- | ---: | ---: | ---: |`,
      ...rows.map(([name, s]) => {
        const up = median(s.map((x) => x.up));
        return `| ${name} | ${up} | ${median(s.map((x) => x.destroy))} | ${(up / ops).toFixed(0)} |`;
      }),
      ``,
      `Service minus embedded, median \`up\` of ${ops} resources: ${median(viaService.map((x) => x.up)) - median(embedded.map((x) => x.up))} ms (spread of the embedded runs: ${Math.max(...embedded.map((x) => x.up)) - Math.min(...embedded.map((x) => x.up))} ms). The engine, the program and the provider process dominate both; a store call through the service costs about a millisecond (table above).`,
      ``,
    ];
    console.log(lines.join("\n"));
    fs.appendFileSync(path.join(REPO_ROOT, "bench", "RESULTS.md"), "\n" + lines.join("\n"));
  } finally {
    await service.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
