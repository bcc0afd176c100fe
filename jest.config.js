/** Unit tests, the security suite, and end-to-end tests that drive the real Pulumi CLI. */
// Transpile only (isolatedModules): type errors are `tsc -p tsconfig.check.json`'s job, in lint.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.jest.json" }];
module.exports = {
  // The policy pack's generated copy of contract/ is written before any test runs.
  globalSetup: "<rootDir>/test/global-setup.js",
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/unit/**/*.test.ts", "<rootDir>/policy-pack/test/**/*.test.ts"],
    },
    {
      // Each attack of issue 10 against the real service, store and provider, asserting the refusal.
      displayName: "security",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/security/**/*.test.ts"],
    },
    {
      displayName: "e2e",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      setupFilesAfterEnv: ["<rootDir>/test/e2e/setup.ts"],
    },
  ],
};
