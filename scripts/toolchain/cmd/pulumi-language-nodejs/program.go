package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// programDir is the directory the program runs in: the engine's ProgramInfo when it sends one,
// otherwise the legacy field, otherwise our working directory (the engine starts us in the
// project root).
func programDir(info *pulumirpc.ProgramInfo, legacy string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if legacy != "" {
		return legacy
	}
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}

// findRunScript finds @pulumi/pulumi's cmd/run the way Node resolves a package: in node_modules
// of the program directory or of any parent.
func findRunScript(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", "run")
		if _, err := os.Stat(filepath.Join(candidate, "index.js")); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf(
				"@pulumi/pulumi is not installed in %s or any parent: run `npm ci` in the project first", dir)
		}
	}
}

type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeArgs   []string
}

// runtimeOptionsOf reads Pulumi.yaml's `runtime.options`, with Pulumi's defaults.
func runtimeOptionsOf(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	fields := info.GetOptions().AsMap()
	if v, ok := fields["typescript"].(bool); ok {
		opts.typescript = v
	}
	if v, ok := fields["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	if v, ok := fields["nodeargs"].(string); ok && strings.TrimSpace(v) != "" {
		opts.nodeArgs = strings.Fields(v)
	}
	return opts
}

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// resourcePackages lists the resource plugins the program's installed packages declare
// (`"pulumi": {"resource": true}` in their package.json), so that the engine can check they are
// present before it runs anything. Only the top level of node_modules (and its @scopes) is read:
// npm hoists dependencies there.
func resourcePackages(dir string) ([]*pulumirpc.PluginDependency, error) {
	var root string
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "node_modules")); err == nil && st.IsDir() {
			root = filepath.Join(d, "node_modules")
			break
		}
		if filepath.Dir(d) == d {
			return nil, nil
		}
	}
	var manifests []string
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", root, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !isDir(filepath.Join(root, e.Name())) {
			continue // npm's own files such as .package-lock.json, and .bin
		}
		if strings.HasPrefix(e.Name(), "@") {
			scoped, err := os.ReadDir(filepath.Join(root, e.Name()))
			if err != nil {
				continue
			}
			for _, s := range scoped {
				manifests = append(manifests, filepath.Join(root, e.Name(), s.Name(), "package.json"))
			}
			continue
		}
		manifests = append(manifests, filepath.Join(root, e.Name(), "package.json"))
	}

	var deps []*pulumirpc.PluginDependency
	for _, path := range manifests {
		raw, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		var pkg packageJSON
		if err := json.Unmarshal(raw, &pkg); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", path, err)
		}
		if !pkg.Pulumi.Resource {
			continue
		}
		name := pkg.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(pkg.Name, "@pulumi/"), "@")
		}
		ver := pkg.Pulumi.Version
		if ver == "" {
			ver = pkg.Version
		}
		if ver != "" && !strings.HasPrefix(ver, "v") {
			ver = "v" + ver
		}
		deps = append(deps, &pulumirpc.PluginDependency{
			Name: name, Kind: "resource", Version: ver, Server: pkg.Pulumi.Server,
		})
	}
	return deps, nil
}

// isDir follows symlinks, as npm workspaces and `npm link` install packages as links.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
