// Without Fly's OpenAPI document the conformance suite must fail with the loader's instructions, not skip.
import { afterEach, expect, it } from "vitest";
import { FLY_OPENAPI_SPEC_ENV } from "../../sandbox/openapi";
import { startConformance } from "./conformance-harness";

const saved = process.env[FLY_OPENAPI_SPEC_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[FLY_OPENAPI_SPEC_ENV];
  else process.env[FLY_OPENAPI_SPEC_ENV] = saved;
});

it("the suite's set-up fails, saying where it looked and how to get the document", async () => {
  process.env[FLY_OPENAPI_SPEC_ENV] = "/nonexistent/textslash/machines-openapi.json";
  const setUp = startConformance();
  await expect(setUp).rejects.toThrow(/OpenAPI document is missing: no file at \/nonexistent\/textslash\/machines-openapi\.json/);
  await expect(setUp).rejects.toThrow(/https:\/\/docs\.machines\.dev\/spec\/openapi3\.json/);
});
