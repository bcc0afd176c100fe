import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "**/node_modules/**",
      "policy-pack/bin/**",
      // Generated from contract/ (scripts/gen-pack-contract.js); contract/ itself is linted.
      "policy-pack/contract/**",
      "coverage/**",
      "*.config.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    // Plain CommonJS: fixture programs, the self-link script, the policy pack's entry.
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
  {
    files: ["scripts/**", "bench/**", "test/**", "examples/**", "store/server/cli.ts"],
    rules: { "no-console": "off" },
  },
  prettier,
);
