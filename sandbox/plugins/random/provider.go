package random

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"textslash.dev/standins/host"
)

// Provider is the random stand-in. pulumi-terraform-bridge's Configure (pkg/tfbridge/provider.go)
// answers supportsPreview (computed outputs come back unknown) and not acceptSecrets: the engine
// sends plain values.
func Provider(version string) host.Provider {
	return host.Provider{
		Name: "random", Version: version, SupportsPreview: true, AcceptSecrets: false,
		Resources: map[string]host.Resource{Token: {
			Check: func(news resource.PropertyMap) (resource.PropertyMap, []host.CheckFailure) { return news, Check(news) },
			Diff:  func(_, oldOutputs, news resource.PropertyMap) host.Diff { return Diff(oldOutputs, news) },
			Create: func(_ context.Context, _ string, inputs resource.PropertyMap, preview bool, _ host.Logger) (string, resource.PropertyMap, error) {
				if preview {
					out := WithDefaults(inputs)
					out["result"] = resource.MakeComputed(resource.NewStringProperty(""))
					out["bcryptHash"] = resource.MakeComputed(resource.NewStringProperty(""))
					return "none", out, nil
				}
				out, err := Create(inputs)
				return "none", out, err
			},
			// Only a change that does not replace gets here (keepers gaining null values, overrideSpecial
			// "" → unset): the plan keeps result and bcryptHash (UseStateForUnknown).
			Update: func(_ context.Context, _ string, _, oldOutputs, news resource.PropertyMap, _ bool, _ host.Logger) (resource.PropertyMap, error) {
				out := WithDefaults(news)
				out["result"], out["bcryptHash"] = oldOutputs["result"], oldOutputs["bcryptHash"]
				return out, nil
			},
		}},
	}
}
