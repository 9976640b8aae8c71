// Package host serves one stand-in provider written in Go over Pulumi's ResourceProvider gRPC
// service, the way the real plugins are served: sdk/go/pulumi/provider.Main (which pulumi-go-provider,
// and so pulumi-command, starts with) connects to the engine, listens on a free loopback port and
// prints it as the first line of output. The real plugins these stand in for are Go binaries, so the
// stand-ins are too: the engine starts every plugin of a stack on each preview, up, refresh and
// destroy, and a Node stand-in took about 0.14 s to print its port where a Go plugin built from the
// same SDK takes about 0.013 s (docs/stand-in-plugins.md).
//
// The service mirrors serve.ts (the Node host the docker stand-in still uses): Configure answers the
// provider's own acceptSecrets and supportsPreview; Check, Diff, Create, Read, Update and Delete hand
// the fields a real provider reads (old inputs and old outputs apart, the preview flag) to the
// resource's handler; a method the provider does not serve answers Unimplemented, as the real ones'
// generated servers do.
package host

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Logger shows a message on a resource's row (host.Log in Go providers).
type Logger func(urn string, message string)

// CheckFailure is one invalid input, by its Pulumi property name.
type CheckFailure struct {
	Property string
	Reason   string
}

// Diff is a resource's plan: DetailedDiff maps a property to Pulumi's PropertyDiff kind.
type Diff struct {
	DetailedDiff map[string]pulumirpc.PropertyDiff_Kind
}

// Resource handles Pulumi's CRUD calls for one resource type. Check, Read, Update and Delete may be
// nil: Check then accepts the inputs as they are, Read returns the state, Update returns the new
// inputs, Delete does nothing.
type Resource struct {
	Check  func(news resource.PropertyMap) (resource.PropertyMap, []CheckFailure)
	Diff   func(oldInputs, oldOutputs, news resource.PropertyMap) Diff
	Create func(ctx context.Context, urn string, inputs resource.PropertyMap, preview bool, log Logger) (string, resource.PropertyMap, error)
	Update func(ctx context.Context, urn string, oldInputs, oldOutputs, news resource.PropertyMap, preview bool, log Logger) (resource.PropertyMap, error)
	Delete func(ctx context.Context, urn string, outputs resource.PropertyMap, log Logger) error
}

// Provider is one stand-in plugin.
type Provider struct {
	// Name is the package name, e.g. "random" (the plugin is pulumi-resource-<name>).
	Name string
	// Version is what the real plugin reports (GetPluginInfo): the npm package's pin, set at build time.
	Version string
	// SupportsPreview: the engine sends Create/Update during a preview (ConfigureResponse.supportsPreview).
	SupportsPreview bool
	// AcceptSecrets as the real provider answers it. When false the engine sends plain values and marks
	// secret again, by property name, what the program gave as secret (annotateSecrets in pulumi/pulumi
	// pkg/resource/plugin/provider_plugin.go).
	AcceptSecrets bool
	Resources     map[string]Resource
}

// Main serves the provider until the engine stops it; a failure to serve is the process's last word.
func Main(p Provider) {
	err := provider.Main(p.Name, func(h *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &server{p: p, host: h}, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s stand-in: %v\n", p.Name, err)
		os.Exit(1)
	}
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	p    Provider
	host *provider.HostClient
}

// What the engine sends: secrets as secrets (when accepted), unknowns during a preview, nulls kept
// (a keepers map gaining a null value is not a change to random, and nothing else drops them).
var wire = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true}

func toMap(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, wire)
}

func toStruct(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, wire)
}

// typeOf is the type token of a URN: urn:pulumi:stack::project::parent$type::name → type.
func typeOf(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 3 {
		return ""
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1]
}

func (s *server) handler(urn string) (Resource, error) {
	r, ok := s.p.Resources[typeOf(urn)]
	if !ok {
		names := make([]string, 0, len(s.p.Resources))
		for name := range s.p.Resources {
			names = append(names, name)
		}
		return Resource{}, fmt.Errorf("%s stand-in: resource type %s is not implemented (only %s)", s.p.Name, typeOf(urn), strings.Join(names, ", "))
	}
	return r, nil
}

// request is the resource's handler and the request's property maps, in the order given.
func (s *server) request(urn string, structs ...*structpb.Struct) (Resource, []resource.PropertyMap, error) {
	h, err := s.handler(urn)
	if err != nil {
		return Resource{}, nil, err
	}
	maps := make([]resource.PropertyMap, len(structs))
	for i, st := range structs {
		if maps[i], err = toMap(st); err != nil {
			return Resource{}, nil, err
		}
	}
	return h, maps, nil
}

func (s *server) logger(ctx context.Context) Logger {
	return func(urn, message string) {
		if s.host != nil {
			_ = s.host.Log(ctx, diag.Info, resource.URN(urn), message)
		}
	}
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.p.Version}, nil
}

func (s *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (s *server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: s.p.AcceptSecrets, SupportsPreview: s.p.SupportsPreview}, nil
}

func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	h, props, err := s.request(req.GetUrn(), req.GetNews())
	if err != nil {
		return nil, err
	}
	news := props[0]
	inputs, failures := news, []CheckFailure(nil)
	if h.Check != nil {
		inputs, failures = h.Check(news)
	}
	out, err := toStruct(inputs)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.CheckResponse{Inputs: out}
	for _, f := range failures {
		resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason})
	}
	return resp, nil
}

func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	h, props, err := s.request(req.GetUrn(), req.GetOldInputs(), req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	d := h.Diff(props[0], props[1], props[2])
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	if len(d.DetailedDiff) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	resp.HasDetailedDiff = true
	seen := map[string]bool{}
	for _, key := range slices.Sorted(maps.Keys(d.DetailedDiff)) {
		kind := d.DetailedDiff[key]
		resp.DetailedDiff[key] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		top := strings.FieldsFunc(key, func(r rune) bool { return r == '.' || r == '[' })[0]
		if !seen[top] {
			seen[top] = true
			resp.Diffs = append(resp.Diffs, top)
		}
		switch kind {
		case pulumirpc.PropertyDiff_ADD_REPLACE, pulumirpc.PropertyDiff_DELETE_REPLACE, pulumirpc.PropertyDiff_UPDATE_REPLACE:
			resp.Replaces = append(resp.Replaces, key)
		}
	}
	return resp, nil
}

func (s *server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	h, props, err := s.request(req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, outputs, err := h.Create(ctx, req.GetUrn(), props[0], req.GetPreview(), s.logger(ctx))
	if err != nil {
		return nil, err
	}
	out, err := toStruct(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if _, err := s.handler(req.GetUrn()); err != nil {
		return nil, err
	}
	// Neither stand-in reads anything live: the state is the truth (random's Read does nothing; a
	// command's Read returns its state, pulumi-go-provider infer's default).
	return &pulumirpc.ReadResponse{Id: req.GetId(), Inputs: req.GetInputs(), Properties: req.GetProperties()}, nil
}

func (s *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	h, props, err := s.request(req.GetUrn(), req.GetOldInputs(), req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	outputs := props[2]
	if h.Update != nil {
		if outputs, err = h.Update(ctx, req.GetUrn(), props[0], props[1], props[2], req.GetPreview(), s.logger(ctx)); err != nil {
			return nil, err
		}
	}
	out, err := toStruct(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (s *server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	h, props, err := s.request(req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	if h.Delete != nil {
		if err := h.Delete(ctx, req.GetUrn(), props[0], s.logger(ctx)); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}
