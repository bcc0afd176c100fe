import fs from "node:fs";
import path from "node:path";
import { installedPackage } from "../support/package";
import { expectFailure, expectSuccess, policyViolations, REPO_ROOT, TestStack } from "../support/pulumi";

/**
 * The policy pack as a pull request of a team that installed the package runs it:
 * `pulumi preview --policy-pack node_modules/pulumi-sms-channels/policy-pack` with the real CLI, the
 * pack taken from the packed and installed tarball (its compiled JavaScript, its @pulumi/policy
 * resolved from the program's node_modules), on fixture programs of the real resources. Validation is
 * off: the pack needs no Twilio, and these stacks never reach it.
 */
let PACK = "";
beforeAll(() => {
  PACK = path.join(installedPackage(), "policy-pack");
  // What ships is compiled JavaScript only: a pack that fell back to the TypeScript sources would pass
  // here and fail for users.
  expect(fs.existsSync(path.join(PACK, "index.ts"))).toBe(false);
  expect(fs.existsSync(path.join(PACK, "bin", "index.js"))).toBe(true);
}, 20 * 60_000);
const stacks: TestStack[] = [];
afterAll(() => stacks.forEach((s) => s.cleanup()));

async function preview(scenario: string, ...flags: string[]) {
  const s = await TestStack.create("policy-stack", {
    config: { "test:scenario": scenario, "smschannels:validation": "off" },
    secrets: { "test:authToken": "0".repeat(32) },
  });
  stacks.push(s);
  return { stack: s, result: await s.preview("--policy-pack", PACK, ...flags) };
}

test("an RCS channel on a Twilio SMS credential fails with the mandatory violation", async () => {
  const { result } = await preview("rcs-on-sms");
  expectFailure(result);
  const [v, ...more] = policyViolations(result);
  expect(more).toEqual([]);
  expect(v).toMatchObject({
    policyPackName: "sms-channels-policies",
    policyPackVersion: "0.1.0",
    policyName: "rcs-requires-custom-credential",
    enforcementLevel: "mandatory",
  });
  expect(v?.message).toContain('ChannelConfiguration "promo-rcs" has channel "rcs"');
  expect(v?.message).toContain("Use a CustomRcsCredential");
});

test("an RCS channel on a custom credential passes", async () => {
  const { result } = await preview("rcs-on-custom");
  expectSuccess(result);
  expect(policyViolations(result)).toEqual([]);
});

test("the advisory shows as a warning and does not fail; a config that makes it mandatory fails", async () => {
  const { stack, result } = await preview("marketing-without-opt-out");
  expectSuccess(result);
  const advisory = policyViolations(result);
  expect(advisory.map((v) => [v.policyName, v.enforcementLevel])).toEqual([
    ["marketing-channel-has-opt-out", "advisory"],
  ]);
  expect(advisory[0]?.message).toContain('"STOP"');

  const configFile = path.join(path.dirname(stack.dir), "policy-config.json");
  fs.writeFileSync(configFile, JSON.stringify({ "marketing-channel-has-opt-out": "mandatory" }));
  const strict = await stack.preview("--policy-pack", PACK, "--policy-pack-config", configFile);
  expectFailure(strict);
  expect(policyViolations(strict).map((v) => [v.policyName, v.enforcementLevel])).toEqual([
    ["marketing-channel-has-opt-out", "mandatory"],
  ]);

  // The CI example's config makes it mandatory and asks for more keywords.
  const ci = await stack.preview(
    "--policy-pack",
    PACK,
    "--policy-pack-config",
    path.join(REPO_ROOT, "examples", "ci", "policy-config.json"),
  );
  expectFailure(ci);
  expect(policyViolations(ci).map((v) => [v.policyName, v.enforcementLevel])).toContainEqual([
    "marketing-channel-has-opt-out",
    "mandatory",
  ]);
});

test("a raw id string of a Twilio SMS credential on an RCS channel is still caught", async () => {
  const { result } = await preview("rcs-on-sms-raw-id");
  expectFailure(result);
  const violations = policyViolations(result);
  expect(violations.map((v) => [v.policyName, v.enforcementLevel])).toEqual([
    ["rcs-requires-custom-credential", "mandatory"],
  ]);
  expect(violations[0]?.message).toContain('uses the Twilio SMS credential SmsApiCredential "twilio-sms"');
});
