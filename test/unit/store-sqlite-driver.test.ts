/** Which better-sqlite3 runs on which Node.js (store/sqlite/driver.ts): refused with the fix, not a crash. */
import { sqliteDriver, sqliteRuntimeProblem } from "../../store/sqlite/driver";

test.each([
  ["20.20.2", "12.11.1"],
  ["22.13.1", "12.11.1"],
  ["22.14.0", "13.2.0"],
  ["22.23.3", "13.2.0"],
  ["24.21.0", "13.2.0"],
  ["24.21.0", "12.11.1"],
])("Node.js %s with better-sqlite3 %s: runs", (node, driver) => {
  expect(sqliteRuntimeProblem(node, driver)).toBeUndefined();
});

test.each([
  ["20.20.2", "13.2.0"],
  ["22.0.0", "13.0.0"],
  ["22.13.1", "13.2.0"],
])("Node.js %s with better-sqlite3 %s: refused, naming both versions and the fix", (node, driver) => {
  const problem = sqliteRuntimeProblem(node, driver);
  expect(problem).toContain(`better-sqlite3 ${driver}`);
  expect(problem).toContain(`Node.js ${node}`);
  expect(problem).toContain("22.14");
  expect(problem).toContain("npm install better-sqlite3@12");
});

test("the installed driver loads on this Node.js and opens a database", () => {
  const Database = sqliteDriver();
  const db = new Database(":memory:");
  try {
    expect(db.prepare("select 1 + 1 as two").get()).toEqual({ two: 2 });
  } finally {
    db.close();
  }
});
