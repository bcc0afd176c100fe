/**
 * The README is read on npm and in node_modules as often as in a clone: every relative link it makes
 * before its Development section (which is about a clone) must name a file the package ships, and
 * every #anchor a heading it has. A review once followed links to files the tarball did not hold.
 */
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const shipped = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { files: string[] })
  .files;

// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));

function links(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
}

// A `files` entry covers a path when it is that path, a folder above it, or a glob whose fixed prefix
// is a folder above it and whose extension it has.
function covered(file: string): boolean {
  return shipped.some((entry) => {
    if (!entry.includes("*")) return file === entry || file.startsWith(`${entry}/`);
    const prefix = entry.slice(0, entry.indexOf("*"));
    const ext = path.extname(entry);
    return file.startsWith(prefix) && (ext === "" || file.endsWith(ext));
  });
}

test("every relative link before Development names a file the package ships", () => {
  const forUsers = readme.slice(0, readme.indexOf("\n## Development"));
  const files = links(forUsers)
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.replace(/#.*$/, ""));
  expect(files.length).toBeGreaterThan(3);
  for (const f of files) {
    expect({ link: f, exists: fs.existsSync(path.join(ROOT, f)), shipped: covered(f) }).toEqual({
      link: f,
      exists: true,
      shipped: true,
    });
  }
});

test("every #anchor in the README is one of its headings", () => {
  const targets = links(readme)
    .filter((l) => l.startsWith("#"))
    .map((l) => l.slice(1));
  expect(targets.length).toBeGreaterThan(5);
  expect(targets.filter((t) => !anchors.has(t))).toEqual([]);
});
