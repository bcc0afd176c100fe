// Makes `require("pulumi-sms-channels/...")` resolve inside this checkout, as it does for users who
// install the package: the serialized dynamic providers of the demo and the tests require it by name
// from the program folder. Run on `npm install` (prepare) and by the test harness, since a later
// `npm install <pkg>` prunes the link. Does nothing inside another package's node_modules.
const fs = require("node:fs");
const path = require("node:path");

function linkSelf(root = path.resolve(__dirname, "..")) {
  if (root.split(path.sep).includes("node_modules")) return;
  const link = path.join(root, "node_modules", "pulumi-sms-channels");
  try {
    if (fs.realpathSync(link) === root) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    // absent: make it below
  }
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
}

module.exports = { linkSelf };
if (require.main === module) linkSelf();
