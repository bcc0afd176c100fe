/**
 * A provider process loads what its resources use (issue 13): the store backends, the custom-vendor
 * transport and the Twilio transport (undici) are required on first use, not with the handlers, since
 * every resource that depends on a credential waits for that credential's first check, module loads
 * included; the input and record-data schemas (zod) on the first check or write, so a refresh or a
 * destroy, which parse no inputs, never load them.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TwilioEmulator } from "../twilio-emulator";

/** Runs a fixture child with `env` added; resolves with what it printed. */
function runChild(fixture: string, env: Record<string, string>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", fixture)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}`))));
  });
}

it("a refresh and a destroy open the store and load neither zod nor the Twilio transport (undici)", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "smsc-lazy-modules-"));
  try {
    // The record comes from an earlier process, as in a real stack (a create needs the schemas).
    const created = JSON.parse(
      (await runChild("provider-delete-modules-child.ts", { STORE_DIR: dir, PHASE: "create" })).trim(),
    ) as { id: string; outs: Record<string, unknown> };
    const out = await runChild("provider-delete-modules-child.ts", {
      STORE_DIR: dir,
      PHASE: "destroy",
      RECORD_ID: created.id,
      RECORD_OUTS: JSON.stringify(created.outs),
    });
    expect(JSON.parse(out.trim())).toEqual({
      readName: "lazy-modules",
      goneAfterDelete: true,
      sqlite: true,
      undici: 0,
      zod: 0,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

it("a preview with no store file and no custom vendor loads no SQLite, store client or vendor transport, and not undici's entry", async () => {
  const twilio = await TwilioEmulator.start();
  const dir = mkdtempSync(path.join(os.tmpdir(), "smsc-lazy-modules-"));
  try {
    const a = twilio.addAccount();
    const out = await runChild("provider-preview-modules-child.ts", {
      STORE_DIR: dir,
      TWILIO_URL: twilio.url,
      TWILIO_ACCOUNT: a.sid,
      TWILIO_TOKEN: a.authToken,
    });
    expect(JSON.parse(out.trim())).toEqual({
      failures: [],
      store: [],
      vendor: [],
      undiciEntry: false,
      undiciParts: true,
    });
  } finally {
    await twilio.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
