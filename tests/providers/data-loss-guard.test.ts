// The DataLossGuard's provider (components/data-loss-guard-provider.ts), served from the bundle: its
// diff, and its delete's refusal without consent.
import { afterEach, describe, expect, it } from "vitest";
import { guardProvider, type GuardInputs } from "../../components/data-loss-guard-provider";
import { ALLOW_DATA_LOSS_ENV } from "../../components/data-loss-consent";
import { providerModuleText } from "../../components/provider-text";

const inputs = (over: Partial<GuardInputs> & { __provider?: string } = {}) =>
  ({ allowDataLoss: false, protects: "volume vm_data (vol_1) of unit-vm", __provider: providerModuleText("guardProvider", "/checkout-a"), ...over }) as GuardInputs;
const diff = (olds: GuardInputs, news: GuardInputs) => guardProvider.diff!("data-loss-guard", olds, news);
const savedConsent = process.env[ALLOW_DATA_LOSS_ENV];
afterEach(() => {
  if (savedConsent === undefined) delete process.env[ALLOW_DATA_LOSS_ENV];
  else process.env[ALLOW_DATA_LOSS_ENV] = savedConsent;
});

describe("the data-loss guard's provider", () => {
  it("sees no change between two bundle texts that name different checkouts", async () => {
    expect((await diff(inputs(), inputs({ __provider: providerModuleText("guardProvider", "/checkout-b") }))).changes).toBe(false);
  });

  it("updates a guard recorded as a serialized closure, and one whose consent or subject changed", async () => {
    const closure = "exports.handler = __f0;\nfunction __f0() { return { delete: async () => {} }; }\n";
    expect((await diff(inputs({ __provider: closure }), inputs())).changes).toBe(true);
    expect((await diff(inputs(), inputs({ allowDataLoss: true }))).changes).toBe(true);
    expect((await diff(inputs(), inputs({ protects: "volume vm_data (vol_2) of unit-vm" }))).changes).toBe(true);
  });

  it("refuses a delete without consent, naming what would be lost; allows it with consent recorded", async () => {
    delete process.env[ALLOW_DATA_LOSS_ENV];
    await expect(guardProvider.delete!("data-loss-guard", inputs())).rejects.toThrow(/refusing to delete this stack's Fly objects: volume vm_data \(vol_1\) of unit-vm/);
    await expect(guardProvider.delete!("data-loss-guard", inputs({ allowDataLoss: true }))).resolves.toBeUndefined();
  });
});
