// The command stand-in's local.Command against pulumi-command v1.2.1's local provider and
// pulumi-go-provider v1.3.0's default diff: what runs when, with which environment, and what a
// failure says.
package command

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"textslash.dev/standins/host"
)

const urn = "urn:pulumi:test::proj::command:local:Command::smoke"

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

type logs struct{ lines []string }

func (l *logs) log(_ string, line string) { l.lines = append(l.lines, line) }

var local = Provider("1.2.1").Resources[Token]

func TestCreateRunsUnderShellInDirWithEnvironmentAndStdin(t *testing.T) {
	dir := t.TempDir()
	var l logs
	id, out, err := local.Create(context.Background(), urn, props(map[string]any{
		"create": `printf "%s %s\n" "$GREETING" "$(pwd)"; cat; echo oops >&2`, "environment": map[string]any{"GREETING": "hi"}, "dir": dir, "stdin": "in",
	}), false, l.log)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^smoke[0-9a-f]{8}$`).MatchString(id) {
		t.Errorf("id %q", id)
	}
	if got := out["stdout"].StringValue(); got != "hi "+dir+"\nin" {
		t.Errorf("stdout %q", got)
	}
	if got := out["stderr"].StringValue(); got != "oops" {
		t.Errorf("stderr %q", got)
	}
	if !out["create"].IsString() {
		t.Errorf("inputs are outputs too: %v", out)
	}
	if !slices.Contains(l.lines, "hi "+dir) {
		t.Errorf("logged %q", l.lines)
	}
}

func TestPreviewRunsNothingAndOutputsAreUnknown(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	var l logs
	_, out, err := local.Create(context.Background(), urn, props(map[string]any{"create": "touch " + ran}), true, l.log)
	if err != nil {
		t.Fatal(err)
	}
	if !out["stdout"].IsComputed() || !out["stderr"].IsComputed() {
		t.Errorf("outputs during preview: %v", out)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("a preview ran the command")
	}
}

func TestUpdateRunsUpdateElseCreateWithThePreviousOutput(t *testing.T) {
	var l logs
	old := props(map[string]any{"create": "echo first", "stdout": "first", "stderr": ""})
	oldInputs := props(map[string]any{"create": "echo first"})
	out, err := local.Update(context.Background(), urn, oldInputs, old, props(map[string]any{"create": "echo first", "update": `echo "was $PULUMI_COMMAND_STDOUT"`}), false, l.log)
	if err != nil || out["stdout"].StringValue() != "was first" {
		t.Errorf("update: %v, %v", out, err)
	}
	out, err = local.Update(context.Background(), urn, oldInputs, old, props(map[string]any{"create": "echo second"}), false, l.log)
	if err != nil || out["stdout"].StringValue() != "second" {
		t.Errorf("update via create: %v, %v", out, err)
	}
	run, err := Run(context.Background(), `echo "[$PULUMI_COMMAND_STDOUT]"`, props(map[string]any{"addPreviousOutputInEnv": false}), &Output{Stdout: "first"}, nil)
	if err != nil || run.Stdout != "[]" {
		t.Errorf("addPreviousOutputInEnv false: %v, %v", run, err)
	}
}

func TestDeleteRunsDeleteWithTheLastOutput(t *testing.T) {
	deleted := filepath.Join(t.TempDir(), "deleted")
	var l logs
	if err := local.Delete(context.Background(), urn, props(map[string]any{"delete": `echo "$PULUMI_COMMAND_STDOUT" > ` + deleted, "stdout": "bye", "stderr": ""}), l.log); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(deleted); err != nil || string(b) != "bye\n" {
		t.Errorf("delete wrote %q, %v", b, err)
	}
	if err := local.Delete(context.Background(), urn, props(map[string]any{"create": "true", "stdout": "", "stderr": ""}), l.log); err != nil {
		t.Errorf("no delete command: %v", err)
	}
}

func TestAFailingCommandFailsWithStatusCommandAndOutput(t *testing.T) {
	// stdout and stderr are two pipes, read at once (as in pulumi-command): the pause orders them.
	const command = "echo out; sleep 0.2; echo err >&2; exit 3"
	_, err := Run(context.Background(), command, resource.PropertyMap{}, nil, nil)
	want := "exit status 3: running \"" + command + "\":\nout\nerr\n"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestAnInterpreterThatCannotStartFailsInTheSameShape(t *testing.T) {
	_, err := Run(context.Background(), "true", props(map[string]any{"interpreter": []any{"/nonexistent/sh", "-c"}}), nil, nil)
	if err == nil || !strings.HasSuffix(err.Error(), ": running \"true\":\n") || !strings.Contains(err.Error(), "/nonexistent/sh") {
		t.Errorf("got %v", err)
	}
}

func TestOutputsAreSecretWhenAnInputIs(t *testing.T) {
	var l logs
	inputs := resource.PropertyMap{
		"create":      resource.NewStringProperty("echo $T"),
		"environment": resource.NewObjectProperty(resource.PropertyMap{"T": resource.MakeSecret(resource.NewStringProperty("s3cret"))}),
	}
	_, out, err := local.Create(context.Background(), urn, inputs, false, l.log)
	if err != nil {
		t.Fatal(err)
	}
	if !out["stdout"].IsSecret() || host.Reveal(out["stdout"]).StringValue() != "s3cret" {
		t.Errorf("stdout %v", out["stdout"])
	}
}

func TestDiffTriggersReplaceOtherInputsUpdateOutputsIgnored(t *testing.T) {
	kinds := func(olds, news map[string]any) map[string]pulumirpc.PropertyDiff_Kind {
		return Diff(props(olds), props(news)).DetailedDiff
	}
	if d := kinds(map[string]any{"create": "a", "triggers": []any{"1"}}, map[string]any{"create": "a", "triggers": []any{"1"}}); len(d) != 0 {
		t.Errorf("no change: %v", d)
	}
	if d := kinds(map[string]any{"create": "a", "triggers": []any{"1"}}, map[string]any{"create": "a", "triggers": []any{"2"}}); len(d) != 1 || d["triggers"] != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("triggers: %v", d)
	}
	if d := kinds(map[string]any{"create": "a"}, map[string]any{"create": "b", "environment": map[string]any{"X": "1"}}); len(d) != 2 || d["create"] != pulumirpc.PropertyDiff_UPDATE || d["environment"] != pulumirpc.PropertyDiff_ADD {
		t.Errorf("create and environment: %v", d)
	}
	if d := kinds(map[string]any{"create": "a", "stdout": "x"}, map[string]any{"create": "a"}); len(d) != 0 {
		t.Errorf("outputs are not inputs: %v", d)
	}
}

func TestCheckRefusesWhatTheStandInDoesNotImplement(t *testing.T) {
	if got := Check(props(map[string]any{"create": "x", "assetPaths": []any{"*.txt"}})); len(got) != 1 || got[0] != (host.CheckFailure{Property: "assetPaths", Reason: "assetPaths is not implemented by the command stand-in (sandbox/plugins/command)"}) {
		t.Errorf("assetPaths: %v", got)
	}
	if got := Check(props(map[string]any{"logging": "loud"})); len(got) != 1 || got[0].Reason != "logging must be one of stdout, stderr, stdoutAndStderr, none" {
		t.Errorf("logging: %v", got)
	}
}
