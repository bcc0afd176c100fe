/**
 * A create whose side effect fails is undone; when the undo fails too (the store went away), the
 * provider says what is left behind and how to mend it, and the side effect's error is the one
 * the user gets: never a silent half-done create.
 */
import { undoOnFailure } from "../../provider/handlers/record";
import { StoreError } from "../../store/errors";

let warnings: string[];
beforeEach(() => {
  warnings = [];
  jest.spyOn(console, "warn").mockImplementation((m: unknown) => void warnings.push(String(m)));
});
afterEach(() => jest.restoreAllMocks());

it("a failed undo is said, with what is left and what to do; the side effect's error is thrown", async () => {
  const sideEffect = new Error("Twilio refused the attach");
  await expect(
    undoOnFailure(
      Promise.reject(sideEffect),
      () => Promise.reject(new StoreError("UNAVAILABLE", "the store service could not be reached")),
      "webhook inbound-main (whk_undo_failure_1)",
    ),
  ).rejects.toBe(sideEffect);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(
    "could not undo a failed create: webhook inbound-main (whk_undo_failure_1) is left",
  );
  expect(warnings[0]).toContain("UNAVAILABLE");
  expect(warnings[0]).toContain("run `pulumi up` again to adopt it");
});

it("an undo that works says nothing, and a side effect that works is not undone", async () => {
  const undo = jest.fn(() => Promise.resolve());
  await expect(undoOnFailure(Promise.reject(new Error("x")), undo, "credential a (cred_1)")).rejects.toThrow(
    "x",
  );
  expect(undo).toHaveBeenCalledTimes(1);
  await expect(undoOnFailure(Promise.resolve(7), undo, "credential b (cred_2)")).resolves.toBe(7);
  expect(undo).toHaveBeenCalledTimes(1);
  expect(warnings).toEqual([]);
});
