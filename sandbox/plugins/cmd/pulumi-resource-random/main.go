// pulumi-resource-random, the stand-in (sandbox/plugins/random): built and installed into test and
// sandbox PULUMI_HOMEs only by sandbox/plugins/install.ts; see docs/stand-in-plugins.md.
package main

import (
	"textslash.dev/standins/host"
	"textslash.dev/standins/random"
)

// version is the @pulumi/random pin, set by go-binaries.ts at build time (-ldflags -X main.version=…).
var version = "0.0.0"

func main() { host.Main(random.Provider(version)) }
