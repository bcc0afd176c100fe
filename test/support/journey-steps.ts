/**
 * The journey's steps, one jest test each, in order, on one stack; each ends `settled` (state and
 * store agree, and a preview plans nothing). A failed step leaves the stack where it was, so the
 * report still shows how the others fare.
 */
import {
  agree,
  changes,
  clone,
  configure,
  diagnostics,
  errors,
  expectFailure,
  expectSteps,
  expectSuccess,
  type JourneyStore,
  settled,
  startWorld,
  type World,
} from "./journey";
import { randomBytes } from "node:crypto";
import { type RunResult, stepOf, TestStack } from "./pulumi";
import { ReceiverProcess } from "./receiver-process";
import { hmacHex, post } from "./receiver";
import { freePort } from "./store-process";

export function defineJourney(
  title: string,
  openStore: () => Promise<JourneyStore & { close(): Promise<void> }>,
): void {
  describe(title, () => {
    let store: JourneyStore & { close(): Promise<void> };
    let world: World;
    let stack: TestStack;
    /** The spec every undo goes back to. */
    let original: World["spec"];
    let originalSecrets: World["secrets"];
    /** Where the webhook receiver listens while a step needs it (`smschannels:webhookBaseUrl`). */
    let receiverPort: number;
    let base: string;

    const up = async (): Promise<RunResult> => {
      await configure(stack, world);
      return stack.up();
    };
    /** Runs `fn` while the webhook receiver answers at `base`, on the journey's store. */
    const withReceiver = async (fn: () => Promise<void>): Promise<void> => {
      const receiver = await ReceiverProcess.start({
        database: store.database,
        key: store.key,
        port: receiverPort,
        publicUrl: base,
      });
      try {
        await fn();
      } finally {
        await receiver.stop();
      }
    };
    const undo = async (): Promise<void> => {
      world.spec = clone(original);
      world.secrets = clone(originalSecrets);
      expectSuccess(await up());
      await settled(stack, store);
    };

    beforeAll(async () => {
      store = await openStore();
      world = await startWorld();
      receiverPort = await freePort();
      base = `http://127.0.0.1:${receiverPort}`;
      stack = await TestStack.create("journey", {
        packed: true,
        config: {
          "smschannels:twilioApiUrl": world.emu.url,
          "smschannels:webhookBaseUrl": base,
          ...store.config,
        },
        secrets: store.secrets,
      });
      original = clone(world.spec);
      originalSecrets = clone(world.secrets);
    });
    afterAll(async () => {
      // Whatever a failed step left behind goes with the stack's folder and the store.
      stack?.cleanup();
      await world?.emu.stop();
      await store?.close();
    });

    test("create every resource", async () => {
      const r = expectSuccess(await up());
      expect(changes(r)).toEqual({ create: 5 });
      await settled(stack, store);
    });

    test("change each updatable input in place, then undo", async () => {
      world.spec.cred["messagingServiceSid"] = world.services[1];
      world.spec.rcs["providerName"] = "acme-two";
      world.spec.rcs["providerUrl"] = "https://rcs.example.com/v2/send";
      world.spec.hook["defaultReply"] = "Thank you";
      world.spec.chan["description"] = "Alerts and reminders";
      world.spec.chan["messageType"] = "marketing";
      const r = expectSuccess(await up());
      expectSteps(r, {
        cred: { op: "update", diffs: ["messagingServiceSid"] },
        rcs: { op: "update", diffs: ["providerName", "providerUrl"] },
        hook: { op: "update", diffs: ["defaultReply"] },
        chan: { op: "update", diffs: ["description", "messageType"] },
      });
      await settled(stack, store);
      await undo();
    });

    test("rotate each secret: the diff names the secret input, then undo", async () => {
      const token = world.emu.rotateAuthToken(world.accountSid);
      world.secrets.authToken = token;
      // The account's old token is refused from now on: every later undo keeps the new one.
      originalSecrets.authToken = token;
      world.secrets.rcsToken = "s".repeat(8) + Math.random().toString(36).slice(2);
      const pre = expectSuccess(await (async () => (await configure(stack, world), stack.preview()))());
      expectSteps(pre, {
        cred: { op: "update", diffs: ["authToken"] },
        rcs: { op: "update", diffs: ["auth"] },
        hook: { op: "same" },
        chan: { op: "same" },
      });
      const r = expectSuccess(await up());
      expectSteps(r, {
        cred: { op: "update", diffs: ["authToken"] },
        rcs: { op: "update", diffs: ["auth"] },
      });
      expect(await stack.exportText()).not.toContain(token);
      await settled(stack, store);
      // Undo: back to the old rcs token (the account keeps its new one).
      await undo();
    });

    test("the webhook's own twilioAuthToken: set, rotated (the diff names it), then undone", async () => {
      world.spec.hookToken = true;
      world.secrets.hookToken = randomBytes(16).toString("hex");
      expectSteps(expectSuccess(await up()), {
        hook: { op: "update", diffs: ["twilioAuthToken"] },
        cred: { op: "same" },
      });
      await settled(stack, store);
      const rotated = randomBytes(16).toString("hex");
      world.secrets.hookToken = rotated;
      expectSteps(expectSuccess(await up()), { hook: { op: "update", diffs: ["twilioAuthToken"] } });
      expect(await stack.exportText()).not.toContain(rotated);
      await settled(stack, store);
      await undo();
    });

    test("a custom vendor's webhook: created, its verification secret rotated (the diff names it; the receiver takes only the new one), then removed", async () => {
      world.spec.vendorHook = {
        type: "inbound",
        senderNumber: world.number,
        payloadMapping: { inboundMessage: "text", profileNumber: "from" },
      };
      const first = randomBytes(16).toString("hex");
      world.secrets.vendorSecret = first;
      expectSteps(expectSuccess(await up()), { vendorHook: { op: "create" }, rcs: { op: "same" } });
      await settled(stack, store);
      const rotated = randomBytes(16).toString("hex");
      world.secrets.vendorSecret = rotated;
      expectSteps(expectSuccess(await up()), {
        vendorHook: { op: "update", diffs: ["verification"] },
      });
      expect(await stack.exportText()).not.toContain(rotated);
      await settled(stack, store);
      // What the rotation is for: the receiver checks deliveries with the new secret, not the old.
      await withReceiver(async () => {
        const url = String((await stack.outputs())["vendorHookUrl"]);
        expect(url.startsWith(`${base}/v1/sandboxes/prod/webhooks/`)).toBe(true);
        const body = JSON.stringify({ text: "hello", from: "+14155550177" });
        const signed = (secret: string) => ({
          "content-type": "application/json",
          "x-signature": hmacHex(secret, body),
        });
        expect((await post(url, body, signed(first))).status).toBe(403);
        expect((await post(url, body, signed(rotated))).status).toBe(200);
      });
      await undo();
    });

    test("attachToMessagingService with the receiver answering points the service at the webhook; undo puts the earlier URL back", async () => {
      const service = world.services[0];
      const before = world.emu.getService(service)?.inboundRequestUrl;
      await withReceiver(async () => {
        world.spec.hook["attachToMessagingService"] = true;
        expectSteps(expectSuccess(await up()), {
          hook: { op: "update", diffs: ["attachToMessagingService"] },
        });
        const hook = (await stack.exportState()).find((r) => r.urn.endsWith("::hook"));
        const url = String(hook?.outputs?.["webhookUrl"]);
        expect(url).toBe(`${base}/v1/sandboxes/prod/webhooks/${String(hook?.id)}`);
        expect(world.emu.getService(service)?.inboundRequestUrl).toBe(url);
        await settled(stack, store);
        await undo();
        expect(world.emu.getService(service)?.inboundRequestUrl).toBe(before);
      });
    });

    test("rename every resource in place, then undo", async () => {
      for (const k of ["cred", "rcs", "hook", "chan"] as const) world.spec[k]["name"] = `${k}-renamed`;
      const r = expectSuccess(await up());
      expectSteps(r, {
        cred: { op: "update", diffs: ["name"] },
        rcs: { op: "update", diffs: ["name"] },
        hook: { op: "update", diffs: ["name"] },
        chan: { op: "update", diffs: ["name"] },
      });
      await settled(stack, store);
      await undo();
    });

    test("a new sandbox for a credential nothing uses replaces it; undo", async () => {
      world.spec.rcs["sandbox"] = "staging";
      const r = expectSuccess(await up());
      expectSteps(r, { rcs: { op: "replace" }, cred: { op: "same" } });
      await settled(stack, store);
      await undo();
    });

    test("a new sandbox for a credential in use alone fails in preview, naming the field; nothing is written", async () => {
      world.spec.cred["sandbox"] = "staging";
      await configure(stack, world);
      const pre = expectFailure(await stack.preview());
      expect(diagnostics(pre, "error")).toMatch(/apiCredential/);
      await agree(stack, store);
      world.spec = clone(original);
      await configure(stack, world);
      await settled(stack, store);
    });

    test("a name another resource holds in the store fails in preview, naming `name`; nothing is written", async () => {
      const taken = `taken-${randomBytes(3).toString("hex")}`;
      const s = await store.open();
      let id: string;
      try {
        id = (
          await s.create(
            {
              sandbox: "prod",
              kind: "api-credential",
              name: taken,
              credentialType: "custom-rcs",
              // Another team's credential, as the provider would have written it.
              data: {
                providerName: "other-team",
                providerUrl: "https://rcs.example.com/other",
                authType: "none",
                payloadTemplate: JSON.stringify({ to: "{{toNumber}}", text: "{{message}}" }),
              },
            },
            { actor: "another-team" },
          )
        ).id;
      } finally {
        await s.close();
      }
      world.spec.rcs["name"] = taken;
      await configure(stack, world);
      const pre = expectFailure(await stack.preview());
      const said = errors(pre).map((e) => e.message);
      // The engine prints "property name value <v> has a problem: <our reason>".
      expect(said.join("\n")).toMatch(
        new RegExp(`property name value .* has a problem: api-credential "${taken}" already exists`),
      );
      const s2 = await store.open();
      try {
        expect(await s2.delete("prod", "api-credential", id, { actor: "another-team" })).toBe("deleted");
      } finally {
        await s2.close();
      }
      world.spec = clone(original);
      await configure(stack, world);
      await settled(stack, store);
    });

    test("a store token without the scope or the sandbox fails in preview, naming smschannels:storeToken; nothing is written", async () => {
      if (!store.token) return;
      const full = store.secrets["smschannels:storeToken"] ?? "";
      const cases = [
        { token: store.token("*", "read"), says: /lacks the "write" scope/ },
        {
          token: store.token("staging", "read", "write", "runtime"),
          says: /is for sandbox "staging", not "prod"/,
        },
      ];
      try {
        for (const c of cases) {
          await stack.setConfig("smschannels:storeToken", c.token, true);
          const said = errors(expectFailure(await stack.preview())).map((e) => e.message);
          expect(said.join("\n")).toMatch(
            new RegExp(`smschannels:storeToken \\(or SMSCHANNELS_STORE_TOKEN\\): .*${c.says.source}`),
          );
        }
      } finally {
        await stack.setConfig("smschannels:storeToken", full, true);
      }
      await settled(stack, store);
    });

    test("the same change pushed through `up` anyway, then undone: plain `up` converges (no stuck pending delete)", async () => {
      world.spec.cred["sandbox"] = "staging";
      expectFailure(await up());
      world.spec = clone(original);
      const r = expectSuccess(await up());
      void r;
      await settled(stack, store);
    });

    test("a new sandbox for a credential and everything that uses it replaces them all; undo", async () => {
      for (const k of ["cred", "hook", "chan"] as const) world.spec[k]["sandbox"] = "staging";
      const r = expectSuccess(await up());
      expectSteps(r, { cred: { op: "replace" }, hook: { op: "replace" }, chan: { op: "replace" } });
      await settled(stack, store);
      await undo();
    });

    test("a record deleted out of band: refresh drops it, up creates it again", async () => {
      const id = String(((await stack.outputs())["ids"] as Record<string, string>)["chan"]);
      const s = await store.open();
      try {
        expect(await s.delete("prod", "channel-configuration", id, { actor: "another-team" })).toBe(
          "deleted",
        );
      } finally {
        await s.close();
      }
      const refresh = expectSuccess(await stack.refresh());
      expect(changes(refresh)["delete"]).toBe(1);
      const r = expectSuccess(await up());
      expectSteps(r, { chan: { op: "create" } });
      await settled(stack, store);
    });

    test("an up that fails halfway (Twilio refuses the sample message), then a fixed up", async () => {
      // Two independent changes: the Twilio credential's sample message (sent at update, never in
      // preview) gets a 500; the rcs credential's change goes through if the engine started it
      // before that failure. The engine starts no step after the first failure, so whether it did is
      // a matter of timing: either way, state and store must agree, and the fixed up must finish it.
      world.spec.cred["verifyConnection"] = { to: "+14155550199", message: "journey check" };
      world.spec.rcs["providerName"] = "acme-halfway";
      world.emu.injectFault({
        kind: "status",
        status: 500,
        times: 1000,
        match: { method: "POST", path: /\/Messages\.json$/ },
      });
      let rcsWritten: boolean;
      try {
        const failed = expectFailure(await up());
        await agree(stack, store);
        rcsWritten = stepOf(failed, "rcs")?.op === "update";
        expectSteps(failed, { cred: { op: "update" }, ...(rcsWritten ? {} : { rcs: { op: "(none)" } }) });
      } finally {
        world.emu.clearFaults();
      }
      const fixed = expectSuccess(await up());
      expectSteps(fixed, {
        cred: { op: "update", diffs: ["verifyConnection"] },
        rcs: rcsWritten ? { op: "same" } : { op: "update", diffs: ["providerName"] },
      });
      await settled(stack, store);
      await undo();
    });

    test("an up while the store is down fails and writes nothing; once it is back, up converges", async () => {
      if (!store.outage) return;
      world.spec.chan["description"] = "Written after the outage";
      await store.outage.stop();
      try {
        const failed = expectFailure(await up());
        expect(diagnostics(failed, "error")).toMatch(/could not (be )?reach|UNAVAILABLE/i);
      } finally {
        await store.outage.start();
      }
      await agree(stack, store);
      expectSteps(expectSuccess(await up()), { chan: { op: "update", diffs: ["description"] } });
      await settled(stack, store);
      await undo();
    });

    test("destroy removes every record", async () => {
      const r = expectSuccess(await stack.destroy());
      expect(changes(r)["delete"]).toBe(5);
      await agree(stack, store);
    });
  });
}
