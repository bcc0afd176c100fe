# Sourced by .ci/run: `in_budget NAME CMD...` runs a matrix in what is left of CI's time budget
# (`budget_end`, epoch seconds), so .ci/run stays within CI's 90 minutes. A real failure sets
# `status=1` (fails CI). A run the budget cuts short (a cold cache compiles better-sqlite3 per variant)
# is reported, not failed: the budget, not the package, stopped it. A command that itself exits 124 or
# 137 before its time is up is a real failure, hence the clock check, not only the exit code. A step
# starts only with at least `ci_budget_min_left` seconds (120) left.
in_budget() {
  local name="$1"; shift
  local left=$(( budget_end - $(date +%s) ))
  if [ "$left" -lt "${ci_budget_min_left:-120}" ]; then echo "$name: SKIPPED (CI time budget used up)"; return 0; fi
  local step rc took
  step=$(date +%s)
  set +e
  timeout --kill-after=30 "$left" "$@"
  rc=$?
  set -e
  took=$(( $(date +%s) - step ))
  if [ "$rc" -eq 0 ]; then echo "$name: passed ($took s)"
  elif { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && [ "$took" -ge "$left" ]; then
    echo "$name: CUT SHORT by the CI time budget after $took s (not failed)"
  else echo "$name: FAILED with exit $rc after $took s"; status=1; fi
}
