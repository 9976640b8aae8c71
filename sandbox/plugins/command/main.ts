// Stand-in for pulumi-resource-command (the plugin @pulumi/command 1.2.1 asks for), serving only
// what the program uses: local.Command (local-command.ts). Installed into test and sandbox
// PULUMI_HOMEs only (sandbox/plugins/install.ts); see docs/stand-in-plugins.md.
import { serve } from "../host/serve";
import type { StandInProvider } from "../host/types";
import { pinnedVersion } from "../versions";
import { LOCAL_COMMAND, localCommand } from "./local-command";

export const commandProvider: StandInProvider = {
  name: "command",
  version: pinnedVersion("command"),
  // pulumi-go-provider v1.3.0 (provider.go Configure) answers supportsPreview and acceptSecrets: the engine sends
  // previews to Create/Update and secrets as secrets (outputs are secret when an input is).
  supportsPreview: true,
  acceptSecrets: true,
  resources: { [LOCAL_COMMAND]: localCommand },
};

if (require.main === module) void serve(commandProvider, process.argv.slice(2));
