package host

import (
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// Reveal is the value with every secret wrapper removed (for computing with it, never for returning it).
func Reveal(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return Reveal(v.SecretValue().Element)
	case v.IsArray():
		out := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			out[i] = Reveal(e)
		}
		return resource.NewArrayProperty(out)
	case v.IsObject():
		return resource.NewObjectProperty(RevealMap(v.ObjectValue()))
	}
	return v
}

// RevealMap is Reveal of every value of a map.
func RevealMap(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = Reveal(v)
	}
	return out
}

// Same is deep equality, secrets compared by what they hold, as the values arrived: a missing value
// equals null, but a map key holding null is a key (resource.PropertyValue.DeepEquals would not tell
// {"a": "1"} from {"a": "1", "b": null}, and random's keepers must).
func Same(a, b resource.PropertyValue) bool {
	ja, errA := json.Marshal(plain(Reveal(a)))
	jb, errB := json.Marshal(plain(Reveal(b)))
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// plain is a revealed value as JSON would hold it (maps marshal with sorted keys), an unknown as a
// marker of its own.
func plain(v resource.PropertyValue) any {
	switch {
	case v.IsComputed() || v.IsOutput():
		return map[string]string{"unknown": plugin.UnknownStringValue}
	case v.IsArray():
		out := make([]any, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			out[i] = plain(e)
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = plain(e)
		}
		return out
	}
	return v.Mappable()
}

// Present is true for a value that is there and not null.
func Present(m resource.PropertyMap, key resource.PropertyKey) bool {
	v, ok := m[key]
	return ok && !v.IsNull()
}
