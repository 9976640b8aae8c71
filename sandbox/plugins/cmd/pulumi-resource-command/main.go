// pulumi-resource-command, the stand-in (sandbox/plugins/command): built and installed into test and
// sandbox PULUMI_HOMEs only by sandbox/plugins/install.ts; see docs/stand-in-plugins.md.
package main

import (
	"fmt"
	"os"

	"textslash.dev/standins/command"
	"textslash.dev/standins/host"
)

// version is the @pulumi/command pin, set by install.ts at build time (-ldflags -X main.version=…).
var version = "0.0.0"

func main() {
	if err := host.Main(command.Provider(version)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
