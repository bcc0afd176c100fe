"use strict";

/**
 * A journey's steps: `step(name, check)` runs `check` (which returns an error string, or undefined
 * when the step is ok) unless an earlier step failed, since each step builds on the stack the last
 * one left; a throw is that step's error. `steps` is what ran, as `{ step, ok, error }`.
 */
function journey() {
  const steps = [];
  const step = (name, check) => {
    if (steps.some((s) => !s.ok)) return;
    let error;
    try {
      error = check();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    steps.push({ step: name, ok: error === undefined, error });
  };
  return { steps, step };
}

module.exports = { journey };
