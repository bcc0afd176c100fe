/**
 * The package as npm ships it: `npm pack` of this checkout (its `prepack` builds dist/), unpacked into
 * a node_modules folder outside the repo. Programs that use it load only what the tarball holds, so a
 * file missing from package.json `files`, or a require of something not shipped, fails there as it
 * would for a user. Dependencies are the repo's own installed copies (linked, not downloaded again:
 * better-sqlite3 would compile for minutes), so the SDK is still one copy.
 *
 * Built once per content of the sources: the folder is keyed by a hash of every shipped source file,
 * and a lock makes parallel test files wait for the one that builds it.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./pulumi";

const SOURCE_DIRS = ["provider", "store", "contract", "net", "policy-pack", "scripts"];
const SOURCE_FILES = ["package.json", "tsconfig.json", "README.md"];

function sourceHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === "node_modules" || entry.name === "dist") continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) hash.update(p).update(fs.readFileSync(p));
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(REPO_ROOT, d));
  for (const f of SOURCE_FILES) {
    const p = path.join(REPO_ROOT, f);
    if (fs.existsSync(p)) hash.update(f).update(fs.readFileSync(p));
  }
  return hash.digest("hex").slice(0, 16);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A node_modules folder holding the packed `pulumi-sms-channels` and links to its dependencies.
 * Link a program's node_modules to it.
 */
export function packedNodeModules(): string {
  const root = path.join(os.tmpdir(), `smschannels-packed-${sourceHash()}`);
  const modules = path.join(root, "node_modules");
  const done = path.join(root, "done");
  const lock = `${root}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    if (fs.existsSync(done)) return modules;
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`waited too long for ${lock} (remove it if no test is packing)`);
      sleep(500);
    }
  }
  try {
    if (fs.existsSync(done)) return modules;
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(modules, { recursive: true });
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", root], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
    const packed = (JSON.parse(out) as { filename: string }[])[0];
    if (!packed) throw new Error(`npm pack printed no file: ${out}`);
    const unpacked = path.join(modules, "pulumi-sms-channels");
    fs.mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", path.join(root, packed.filename), "-C", unpacked, "--strip-components=1"]);
    const repoModules = path.join(REPO_ROOT, "node_modules");
    for (const name of fs.readdirSync(repoModules)) {
      if (name === "pulumi-sms-channels" || name === ".package-lock.json") continue;
      fs.symlinkSync(path.join(repoModules, name), path.join(modules, name));
    }
    fs.writeFileSync(done, packed.filename);
    return modules;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
