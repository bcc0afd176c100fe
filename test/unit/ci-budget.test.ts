/**
 * .ci/run's one runner for the matrices (scripts/ci-budget.sh): a real failure fails CI, a run the
 * 80-minute budget cuts short is reported and does not, and a command that exits 124 by itself (the
 * code `timeout` uses) is still a failure.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const script = path.join(__dirname, "..", "..", "scripts", "ci-budget.sh");

/** Sources the helper as .ci/run does, runs one step with `left` seconds of budget, prints `status`. */
function inBudget(left: number, command: string, minLeft = 0): { out: string; status: string } {
  const r = spawnSync(
    "bash",
    [
      "-euo",
      "pipefail",
      "-c",
      `status=0; budget_end=$(( $(date +%s) + ${left} )); ci_budget_min_left=${minLeft}; ` +
        `source "${script}"; in_budget step bash -c '${command}'; echo "status=$status"`,
    ],
    { encoding: "utf8" },
  );
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split("\n");
  const status = lines.pop() ?? "";
  return { out: lines.join("\n"), status };
}

test("a step that passes is reported as passed", () => {
  expect(inBudget(60, "exit 0")).toEqual({
    out: expect.stringMatching(/^step: passed \(\d+ s\)$/),
    status: "status=0",
  });
});

test("a real failure fails CI", () => {
  const r = inBudget(60, "exit 3");
  expect(r.out).toMatch(/^step: FAILED with exit 3 after \d+ s$/);
  expect(r.status).toBe("status=1");
});

test("a run the budget cuts short is reported, not failed", () => {
  const r = inBudget(2, "sleep 20");
  expect(r.out).toMatch(/^step: CUT SHORT by the CI time budget after \d+ s \(not failed\)$/);
  expect(r.status).toBe("status=0");
});

test("a command exiting 124 before its time is up is a failure, not a cut", () => {
  const r = inBudget(60, "exit 124");
  expect(r.out).toMatch(/^step: FAILED with exit 124 after \d+ s$/);
  expect(r.status).toBe("status=1");
});

test("with too little budget left the step is skipped", () => {
  expect(inBudget(30, "exit 3", 120)).toEqual({
    out: "step: SKIPPED (CI time budget used up)",
    status: "status=0",
  });
});
