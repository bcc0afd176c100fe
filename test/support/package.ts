import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./pulumi";

/**
 * The package as npm installs it, for tests that must use what ships rather than the source tree.
 * SMSCHANNELS_TEST_INSTALLED_PACKAGE names an installed copy (`…/node_modules/pulumi-sms-channels`,
 * test/install/run.sh sets it); otherwise the repo is packed (`npm pack`, with its prepack build) and
 * the tarball installed into a temporary program folder with `--ignore-scripts`: the policy pack needs
 * no native module, so better-sqlite3 is not compiled for it.
 */
let installed: string | undefined;

export function installedPackage(): string {
  const given = process.env.SMSCHANNELS_TEST_INSTALLED_PACKAGE;
  if (given) return given;
  if (installed) return installed;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-installed-"));
  const run = (cmd: string, args: string[], cwd: string) =>
    execFileSync(cmd, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 15 * 60_000,
    });
  const out = run("npm", ["pack", "--silent", "--pack-destination", root], REPO_ROOT).trim().split("\n");
  const tarball = path.join(root, out[out.length - 1] as string);
  const program = path.join(root, "program");
  fs.mkdirSync(program);
  fs.writeFileSync(path.join(program, "package.json"), JSON.stringify({ name: "installed", private: true }));
  run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", tarball], program);
  installed = path.join(program, "node_modules", "pulumi-sms-channels");
  return installed;
}
