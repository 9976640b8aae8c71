//go:build tools

// Package tools pins the Pulumi CLI's main package so `go mod tidy` keeps its
// dependencies in go.sum; scripts/toolchain.sh builds it from here.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
