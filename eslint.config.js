// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "test/fixtures/", "bench/**/*.js", ".toolcode/", ".scratch-*/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // The Workers engine's runner Worker runs in workerd, not Node.
    files: ["src/sandbox/engines/workers/workerd/*.js"],
    languageOptions: {
      globals: { Response: "readonly", Request: "readonly", URL: "readonly", TextEncoder: "readonly", TransformStream: "readonly", setTimeout: "readonly" },
    },
  },
);
