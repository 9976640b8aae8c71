// What the engine hands each Fly provider's configure(): the stack's config, here pointing at the
// local Fly API. One place for the provider tests, which each wrote this request themselves.
import type * as pulumi from "@pulumi/pulumi";

type Configurable = Pick<pulumi.dynamic.ResourceProvider, "configure">;

export async function configureProviders(url: string, token: string, providers: Configurable[]): Promise<void> {
  const values: Record<string, string> = { "textslash:flyApiUrl": url, "textslash:flyApiToken": token };
  const request = { config: { get: (key: string) => values[key] } } as unknown as pulumi.dynamic.ConfigureRequest;
  for (const p of providers) await p.configure!(request);
}
