import { describe, expect, it, jest } from "@jest/globals";
import * as fs from "node:fs";
import * as path from "node:path";
import { PACK_NAME, policies } from "../policies";

const packDir = path.join(__dirname, "..");

describe("the policies module", () => {
  it("holds the six policies with their default enforcement levels and kinds", () => {
    const summary = policies.map((p) => ({
      name: p.name,
      level: p.enforcementLevel,
      resource: "validateResource" in p && typeof p.validateResource === "function",
      stack: "validateStack" in p && typeof p.validateStack === "function",
    }));
    expect(summary).toEqual([
      { name: "rcs-requires-custom-credential", level: "mandatory", resource: true, stack: true },
      { name: "sender-number-format", level: "mandatory", resource: true, stack: false },
      { name: "channel-name-format", level: "mandatory", resource: true, stack: false },
      { name: "custom-credential-https", level: "mandatory", resource: true, stack: false },
      { name: "same-sandbox-references", level: "mandatory", resource: false, stack: true },
      { name: "marketing-channel-has-opt-out", level: "advisory", resource: false, stack: true },
    ]);
  });

  it("gives every policy a description and remediation steps, and keeps enforcementLevel out of config schemas", () => {
    for (const p of policies) {
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.remediationSteps?.length ?? 0).toBeGreaterThan(20);
      expect(Object.keys(p.configSchema?.properties ?? {})).not.toContain("enforcementLevel");
    }
  });
});

describe("the pack", () => {
  it("index.ts builds the pack sms-channels-policies from the policies module", () => {
    const PolicyPack = jest.fn();
    jest.isolateModules(() => {
      jest.doMock("@pulumi/policy", () => ({ PolicyPack }));
      require("../index");
    });
    expect(PACK_NAME).toBe("sms-channels-policies");
    expect(PolicyPack).toHaveBeenCalledTimes(1);
    const [name, args] = PolicyPack.mock.calls[0] as [string, { policies: unknown }];
    expect(name).toBe("sms-channels-policies");
    expect(args.policies).toHaveLength(policies.length);
  });

  it("has a nodejs PulumiPolicy.yaml and a versioned package.json whose main exists", () => {
    const yaml = fs.readFileSync(path.join(packDir, "PulumiPolicy.yaml"), "utf8");
    expect(yaml).toMatch(/^runtime: nodejs$/m);
    expect(yaml).toMatch(/^description: \S/m);
    const pkg = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(pkg["version"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(fs.existsSync(path.join(packDir, pkg["main"] as string))).toBe(true);
    expect(pkg["dependencies"]).toHaveProperty("@pulumi/policy");
    expect(pkg["peerDependencies"]).toHaveProperty("@pulumi/pulumi");
  });
});
