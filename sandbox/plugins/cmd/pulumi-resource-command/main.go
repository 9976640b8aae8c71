// pulumi-resource-command, the stand-in (sandbox/plugins/command): built and installed into test and
// sandbox PULUMI_HOMEs only by sandbox/plugins/install.ts; see docs/stand-in-plugins.md.
package main

import (
	"textslash.dev/standins/command"
	"textslash.dev/standins/host"
)

// version is the @pulumi/command pin, set by go-binaries.ts at build time (-ldflags -X main.version=…).
var version = "0.0.0"

func main() { host.Main(command.Provider(version)) }
