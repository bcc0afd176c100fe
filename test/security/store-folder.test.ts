/**
 * The embedded store's folder, when it already exists: a folder of the store's own (`.smschannels`,
 * or one holding only the store's files) is made 0700; a shared folder is left alone, with a warning.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openEmbeddedStore } from "../../store";

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-store-folder-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

async function open(dir: string): Promise<string[]> {
  const warnings: string[] = [];
  const store = await openEmbeddedStore({ path: path.join(dir, "store.db"), warn: (m) => warnings.push(m) });
  await store.close();
  return warnings;
}

it("an existing .smschannels folder open to others is made 0700", async () => {
  const dir = path.join(root, ".smschannels");
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
  expect((await open(dir)).filter((w) => w.includes("open to other users"))).toEqual([]);
  expect(mode(dir)).toBe(0o700);
  expect(mode(path.join(dir, "store.db"))).toBe(0o600);
  expect(mode(path.join(dir, "store.key"))).toBe(0o600);
});

it("a shared folder (other files in it) keeps its mode, and the user is told", async () => {
  const dir = path.join(root, "project");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "README.md"), "not the store's\n");
  fs.chmodSync(dir, 0o755);
  const warnings = await open(dir);
  expect(mode(dir)).toBe(0o755);
  expect(warnings.join("\n")).toMatch(/open to other users \(mode 755\)/);
  // The store's own files are still closed to others.
  expect(mode(path.join(dir, "store.db"))).toBe(0o600);
});
