// Package command is the stand-in for pulumi-resource-command (the plugin @pulumi/command 1.2.1 asks
// for), serving only what the program uses: command.local.Command (token command:local:Command), as
// pulumi/pulumi-command v1.2.1 provider/pkg/provider/local (commandController.go, commandOutputs.go,
// base.go) and pulumi-go-provider v1.3.0 infer/resource.go (the default Diff and the secret and
// computed marking of outputs) serve it:
//   - create runs `create` (nothing during preview); update runs `update`, else `create`; delete runs
//     `delete`; a missing command is a no-op. Commands run under `interpreter` (default
//     ["/bin/sh", "-c"]) in `dir` (default: the provider's working directory, the project root), with
//     the provider's environment plus `environment`, `stdin` on standard input, and, when
//     addPreviousOutputInEnv is not false, the previous stdout/stderr as PULUMI_COMMAND_STDOUT /
//     PULUMI_COMMAND_STDERR (update and delete only: a create starts with none).
//   - A non-zero exit fails the step with "<exit status>: running "<command>":\n<stdout+stderr>".
//   - stdout/stderr are captured with one trailing newline trimmed, and logged line by line to the
//     engine unless `logging` says otherwise.
//   - Diff compares old and new inputs: a change to `triggers` replaces (the SDK also sets
//     replaceOnChanges: ["triggers[*]"]), any other change updates.
//   - Outputs are the inputs plus stdout/stderr; those are secret when any input holds a secret, and
//     unknown during a preview of a create or of an update that changes an input.
//
// Not implemented (the program uses neither): assetPaths and archivePaths; Check refuses them.
package command

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"textslash.dev/standins/host"
)

// Token is local.Command's type token.
const Token = "command:local:Command"

// InputKeys are local.Command's inputs.
var InputKeys = []resource.PropertyKey{"triggers", "create", "update", "delete", "stdin", "logging", "interpreter", "dir", "environment", "assetPaths", "archivePaths", "addPreviousOutputInEnv"}

var loggingValues = []string{"stdout", "stderr", "stdoutAndStderr", "none"}

// Check refuses inputs of the wrong kind, and what the stand-in does not implement.
func Check(news resource.PropertyMap) []host.CheckFailure {
	var failures []host.CheckFailure
	v := host.RevealMap(news)
	for _, key := range []resource.PropertyKey{"create", "update", "delete", "stdin", "dir"} {
		if x := v[key]; !x.IsNull() && !x.ContainsUnknowns() && !x.IsString() {
			failures = append(failures, host.CheckFailure{Property: string(key), Reason: fmt.Sprintf("%s must be a string", key)})
		}
	}
	if x := v["logging"]; !x.IsNull() && !x.ContainsUnknowns() && !(x.IsString() && slices.Contains(loggingValues, x.StringValue())) {
		failures = append(failures, host.CheckFailure{Property: "logging", Reason: "logging must be one of " + strings.Join(loggingValues, ", ")})
	}
	for _, key := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if host.Present(v, key) {
			failures = append(failures, host.CheckFailure{Property: string(key), Reason: fmt.Sprintf("%s is not implemented by the command stand-in (sandbox/plugins/command)", key)})
		}
	}
	return failures
}

// inputsOf is the map's local.Command inputs, nulls dropped.
func inputsOf(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for _, k := range InputKeys {
		if host.Present(m, k) {
			out[k] = m[k]
		}
	}
	return out
}

// Diff is infer's default: every changed input updates, except triggers, which replace.
func Diff(oldInputs, news resource.PropertyMap) host.Diff {
	olds, now := inputsOf(oldInputs), inputsOf(news)
	detailed := map[string]pulumirpc.PropertyDiff_Kind{}
	for _, key := range InputKeys {
		_, had := olds[key]
		_, has := now[key]
		if host.Same(olds[key], now[key]) {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case !had:
			kind = pulumirpc.PropertyDiff_ADD
		case !has:
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if key == "triggers" {
			kind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
				pulumirpc.PropertyDiff_ADD:    pulumirpc.PropertyDiff_ADD_REPLACE,
				pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
				pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
			}[kind]
		}
		detailed[string(key)] = kind
	}
	return host.Diff{DetailedDiff: detailed}
}

// Output is what a run printed.
type Output struct{ Stdout, Stderr string }

// lineWriter captures a stream, into its own buffer and the combined one, and logs each whole line.
type lineWriter struct {
	mu      *sync.Mutex
	own     *bytes.Buffer
	both    *bytes.Buffer
	partial []byte
	log     func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.own.Write(p)
	w.both.Write(p)
	if w.log == nil {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.log(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// Run is commandOutputs.go run(): one command under the interpreter, output captured and logged.
func Run(ctx context.Context, command string, inputs resource.PropertyMap, previous *Output, log func(string)) (Output, error) {
	v := host.RevealMap(inputs)
	interpreter := []string{"/bin/sh", "-c"}
	if x := v["interpreter"]; x.IsArray() && len(x.ArrayValue()) > 0 {
		interpreter = interpreter[:0]
		for _, e := range x.ArrayValue() {
			interpreter = append(interpreter, e.StringValue())
		}
	}
	cmd := exec.CommandContext(ctx, interpreter[0], append(slices.Clone(interpreter[1:]), command)...)
	cmd.Env = os.Environ()
	if env := v["environment"]; env.IsObject() {
		for k, e := range env.ObjectValue() {
			if e.IsString() {
				cmd.Env = append(cmd.Env, string(k)+"="+e.StringValue())
			}
		}
	}
	if previous != nil && !(v["addPreviousOutputInEnv"].IsBool() && !v["addPreviousOutputInEnv"].BoolValue()) {
		if previous.Stdout != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+previous.Stdout)
		}
		if previous.Stderr != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDERR="+previous.Stderr)
		}
	}
	if dir := v["dir"]; dir.IsString() {
		cmd.Dir = dir.StringValue()
	}
	// exec.Cmd's standard input is the null device unless `stdin` is a non-empty string.
	if stdin := v["stdin"]; stdin.IsString() && stdin.StringValue() != "" {
		cmd.Stdin = strings.NewReader(stdin.StringValue())
	}
	logging := "stdoutAndStderr"
	if x := v["logging"]; x.IsString() {
		logging = x.StringValue()
	}
	logsOf := func(stream string) func(string) {
		if logging == "stdoutAndStderr" || logging == stream {
			return log
		}
		return nil
	}
	var mu sync.Mutex
	var stdout, stderr, both bytes.Buffer
	cmd.Stdout = &lineWriter{mu: &mu, own: &stdout, both: &both, log: logsOf("stdout")}
	cmd.Stderr = &lineWriter{mu: &mu, own: &stderr, both: &both, log: logsOf("stderr")}
	// One shape for every failure, a command that could not start included, as commandOutputs.go's
	// (an exec.ExitError reads "exit status N").
	if err := cmd.Run(); err != nil {
		return Output{}, fmt.Errorf("%w: running %q:\n%s", err, command, both.String())
	}
	return Output{Stdout: strings.TrimSuffix(stdout.String(), "\n"), Stderr: strings.TrimSuffix(stderr.String(), "\n")}, nil
}

// Outputs of a run: inputs plus stdout/stderr, secret when any input is (infer's default wiring);
// unknown when run is nil (a preview).
func Outputs(inputs resource.PropertyMap, run *Output) resource.PropertyMap {
	out := inputsOf(inputs)
	if run == nil {
		out["stdout"] = resource.MakeComputed(resource.NewStringProperty(""))
		out["stderr"] = resource.MakeComputed(resource.NewStringProperty(""))
		return out
	}
	mark := func(s string) resource.PropertyValue {
		if inputs.ContainsSecrets() {
			return resource.MakeSecret(resource.NewStringProperty(s))
		}
		return resource.NewStringProperty(s)
	}
	out["stdout"], out["stderr"] = mark(run.Stdout), mark(run.Stderr)
	return out
}

func previousOf(outputs resource.PropertyMap) *Output {
	str := func(k resource.PropertyKey) string {
		if v := host.Reveal(outputs[k]); v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	return &Output{Stdout: str("stdout"), Stderr: str("stderr")}
}

// commandOf is the first of the keys that is set (an empty one included: it runs nothing).
func commandOf(inputs resource.PropertyMap, keys ...resource.PropertyKey) string {
	for _, k := range keys {
		if v := host.Reveal(inputs[k]); v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

func newID(urn string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	parts := strings.Split(urn, "::")
	return parts[len(parts)-1] + hex.EncodeToString(b)
}

// Provider is the command stand-in. pulumi-go-provider v1.3.0 (provider.go Configure) answers
// supportsPreview and acceptSecrets: the engine sends previews to Create/Update and secrets as
// secrets (outputs are secret when an input is).
func Provider(version string) host.Provider {
	return host.Provider{
		Name: "command", Version: version, SupportsPreview: true, AcceptSecrets: true,
		Resources: map[string]host.Resource{Token: {
			Check: func(news resource.PropertyMap) (resource.PropertyMap, []host.CheckFailure) { return news, Check(news) },
			Diff: func(oldInputs, oldOutputs, news resource.PropertyMap) host.Diff {
				// Without old inputs (an engine that does not send them) infer reads them from the state.
				if len(oldInputs) == 0 {
					oldInputs = oldOutputs
				}
				return Diff(oldInputs, news)
			},
			Create: func(ctx context.Context, urn string, inputs resource.PropertyMap, preview bool, log host.Logger) (string, resource.PropertyMap, error) {
				id := newID(urn)
				if preview {
					return id, Outputs(inputs, nil), nil
				}
				run := &Output{}
				if create := commandOf(inputs, "create"); create != "" {
					out, err := Run(ctx, create, inputs, nil, func(line string) { log(urn, line) })
					if err != nil {
						return "", nil, err
					}
					run = &out
				}
				return id, Outputs(inputs, run), nil
			},
			Update: func(ctx context.Context, urn string, oldInputs, oldOutputs, news resource.PropertyMap, preview bool, log host.Logger) (resource.PropertyMap, error) {
				previous := previousOf(oldOutputs)
				if preview {
					if len(Diff(oldInputs, news).DetailedDiff) > 0 {
						return Outputs(news, nil), nil
					}
					return Outputs(news, previous), nil
				}
				run := previous
				if command := commandOf(news, "update", "create"); command != "" {
					out, err := Run(ctx, command, news, previous, func(line string) { log(urn, line) })
					if err != nil {
						return nil, err
					}
					run = &out
				}
				return Outputs(news, run), nil
			},
			Delete: func(ctx context.Context, urn string, outputs resource.PropertyMap, log host.Logger) error {
				if del := commandOf(outputs, "delete"); del != "" {
					_, err := Run(ctx, del, outputs, previousOf(outputs), func(line string) { log(urn, line) })
					return err
				}
				return nil
			},
		}},
	}
}
