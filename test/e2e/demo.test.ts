/**
 * The README's first quick-start command, as written: `npm run demo` (the example stack on the
 * embedded store against the local Twilio emulator: preview, up, the webhook loop, destroy). It is
 * the project's main job, so it is run whole here, not only its parts.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../support/pulumi";

test("`npm run demo` runs the example stack through preview, up, the webhook loop and destroy", () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  expect(readme).toContain("npm run demo");
  const run = spawnSync("npm", ["run", "demo"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 540_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const said = `${run.stdout}\n${run.stderr}`;
  if (run.status !== 0) throw new Error(`npm run demo exited ${String(run.status)}:\n${said.slice(-4000)}`);
  // The loop: an inbound STOP opts the subscriber out; the delivery receipts reach the receiver.
  expect(said).toMatch(/Read back: \+\d+ is opted-out; message SM[0-9a-f]{32} is delivered\./);
  // destroy detaches the webhooks: the messaging service has its earlier URLs again.
  expect(said).toContain("After destroy its inbound URL is back to https://old.example.com/inbound");
  expect(said).toMatch(/Demo done in [\d.]+ s/);
}, 600_000);
