/**
 * `ownerUrn` (what lets a retried create adopt its own record) is the resource's own URN: a plain
 * string for a top-level resource, an Output of the parent's URN under a component.
 */
import * as pulumi from "@pulumi/pulumi";
import { SmsApiCredential } from "../../provider";

const inputs = new Map<string, Record<string, unknown>>();

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        inputs.set(args.name, args.inputs as Record<string, unknown>);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "owner-urn-project",
    "owner-urn-stack",
    false,
  );
});

const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));
const args = { accountSid: `AC${"1".repeat(32)}`, authToken: "token" };

it("a top-level resource's ownerUrn is its URN", async () => {
  const r = new SmsApiCredential("top", args);
  const urn = await valueOf(r.urn);
  expect(urn).toBe(
    "urn:pulumi:owner-urn-stack::owner-urn-project::pulumi-nodejs:dynamic/smschannels:SmsApiCredential::top",
  );
  expect(inputs.get("top")?.["ownerUrn"]).toBe(urn);
});

it("under a component, ownerUrn carries the parent's type, as the engine's URN does", async () => {
  class Team extends pulumi.ComponentResource {
    constructor(name: string) {
      super("acme:messaging:Team", name);
    }
  }
  const team = new Team("team");
  const r = new SmsApiCredential("child", args, { parent: team });
  const urn = await valueOf(r.urn);
  expect(urn).toBe(
    "urn:pulumi:owner-urn-stack::owner-urn-project::acme:messaging:Team$pulumi-nodejs:dynamic/smschannels:SmsApiCredential::child",
  );
  expect(inputs.get("child")?.["ownerUrn"]).toBe(urn);
});
