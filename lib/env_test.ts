import assert from "node:assert/strict";
import { env } from "./env.ts";

Deno.test("env: a set value, and undefined for unset or empty variables", () => {
  const name = `SIGEO_ENV_TEST_${Deno.pid}`;
  try {
    assert.equal(env(name), undefined);
    Deno.env.set(name, "");
    assert.equal(env(name), undefined);
    Deno.env.set(name, "cpu");
    assert.equal(env(name), "cpu");
  } finally {
    Deno.env.delete(name);
  }
});
