// The random stand-in's RandomPassword against terraform-provider-random v3.9.0's rules
// (resource_password.go passwordSchemaV3, internal/random/string.go, mapplanmodifiers).
package random

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"

	"textslash.dev/standins/host"
)

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

func TestDefaults(t *testing.T) {
	got := WithDefaults(props(map[string]any{"length": 8}))
	want := props(map[string]any{"length": 8, "special": true, "upper": true, "lower": true, "numeric": true, "number": true,
		"minNumeric": 0, "minUpper": 0, "minLower": 0, "minSpecial": 0})
	if !got.DeepEquals(want) {
		t.Fatalf("defaults: got %v, want %v", got, want)
	}
	got = WithDefaults(props(map[string]any{"length": 8, "number": false}))
	if got["numeric"].BoolValue() || got["number"].BoolValue() {
		t.Fatalf("number false must make numeric false too: %v", got)
	}
}

func TestCheckRefuses(t *testing.T) {
	for _, c := range []struct {
		inputs           map[string]any
		property, reason string
	}{
		{map[string]any{}, "length", "Missing required property 'length'"},
		{map[string]any{"length": 0}, "length", "length must be at least 1, got: 0"},
		{map[string]any{"length": 3, "minUpper": 2, "minNumeric": 2}, "length", "length must be at least the sum of min_upper, min_lower, min_numeric and min_special (4), got: 3"},
		{map[string]any{"length": 8, "number": true, "numeric": false}, "numeric", "Number and numeric are both configured with different values: number is deprecated, use numeric instead"},
		{map[string]any{"length": 8, "special": false, "upper": false, "lower": false, "numeric": false}, "numeric", "at least one of special, upper, lower and numeric must be true"},
		{map[string]any{"length": "8"}, "length", "length must be a whole number (got 8)"},
		{map[string]any{"length": 8.5}, "length", "length must be a whole number (got 8.5)"},
	} {
		got := Check(props(c.inputs))
		if len(got) != 1 || got[0].Property != c.property || got[0].Reason != c.reason {
			t.Errorf("Check(%v) = %v, want [%s: %s]", c.inputs, got, c.property, c.reason)
		}
	}
}

func TestCheckPassesUnknowns(t *testing.T) {
	news := resource.PropertyMap{"length": resource.MakeComputed(resource.NewStringProperty(""))}
	if got := Check(news); len(got) != 0 {
		t.Fatalf("an unknown length (preview) must pass: %v", got)
	}
}

func TestCharacterClassesAndMinimums(t *testing.T) {
	upperOrDigit := regexp.MustCompile(`^[A-Z0-9]{12}$`)
	for range 50 {
		s, err := CreateString(Params{Length: 12, Upper: true, Numeric: true, MinNumeric: 5}, CryptoPick)
		if err != nil || !upperOrDigit.MatchString(s) {
			t.Fatalf("got %q, %v", s, err)
		}
		if digits := len(regexp.MustCompile(`[0-9]`).FindAllString(s, -1)); digits < 5 {
			t.Fatalf("%q has %d digits, want at least 5", s, digits)
		}
	}
	if s, _ := CreateString(Params{Length: 6, Special: true, OverrideSpecial: "#"}, CryptoPick); s != "######" {
		t.Fatalf("overrideSpecial alone: got %q", s)
	}
	if _, err := CreateString(Params{Length: 6}, CryptoPick); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("no class: got %v", err)
	}
}

func TestCreateOutputsSecretResultAndItsHash(t *testing.T) {
	out, err := Create(props(map[string]any{"length": 20, "special": false}))
	if err != nil {
		t.Fatal(err)
	}
	if !out["result"].IsSecret() || !out["bcryptHash"].IsSecret() {
		t.Fatalf("result and bcryptHash must be secret: %v", out)
	}
	result := host.Reveal(out["result"]).StringValue()
	hash := host.Reveal(out["bcryptHash"]).StringValue()
	if !regexp.MustCompile(`^[A-Za-z0-9]{20}$`).MatchString(result) {
		t.Fatalf("result %q", result)
	}
	// Go's x/crypto/bcrypt, as terraform-provider-random uses: $2a$, cost 10.
	if !strings.HasPrefix(hash, "$2a$10$") || bcrypt.CompareHashAndPassword([]byte(hash), []byte(result)) != nil {
		t.Fatalf("bcryptHash %q is not the hash of the result", hash)
	}
	if out["length"].NumberValue() != 20 || out["special"].BoolValue() || !out["upper"].BoolValue() {
		t.Fatalf("inputs with defaults: %v", out)
	}
}

func TestTheHashOfAPasswordLongerThan72BytesIsOfItsFirst72(t *testing.T) {
	out, err := Create(props(map[string]any{"length": 100}))
	if err != nil {
		t.Fatalf("a 100-character password must be created, as the TF provider creates it: %v", err)
	}
	result := host.Reveal(out["result"]).StringValue()
	hash := host.Reveal(out["bcryptHash"]).StringValue()
	if len(result) != 100 || bcrypt.CompareHashAndPassword([]byte(hash), []byte(result[:72])) != nil {
		t.Fatalf("bcryptHash must be the hash of the first 72 bytes of %q", result)
	}
}

func diffKinds(d host.Diff) map[string]pulumirpc.PropertyDiff_Kind { return d.DetailedDiff }

func TestEveryInputChangeReplaces(t *testing.T) {
	state, _ := Create(props(map[string]any{"length": 20, "special": false}))
	if d := Diff(state, props(map[string]any{"length": 20, "special": false})); len(d.DetailedDiff) != 0 {
		t.Errorf("same inputs: %v", d)
	}
	if d := Diff(state, props(map[string]any{"length": 20, "special": false, "upper": true})); len(d.DetailedDiff) != 0 {
		t.Errorf("a default spelled out is no change: %v", d)
	}
	replace := pulumirpc.PropertyDiff_UPDATE_REPLACE
	for name, news := range map[string]resource.PropertyMap{
		"length":  props(map[string]any{"length": 21, "special": false}),
		"special": props(map[string]any{"length": 20}),
	} {
		if d := diffKinds(Diff(state, news)); len(d) != 1 || d[name] != replace {
			t.Errorf("%s changed: %v", name, d)
		}
	}
	unknown := resource.PropertyMap{"length": resource.MakeComputed(resource.NewStringProperty("")), "special": resource.NewBoolProperty(false)}
	if d := diffKinds(Diff(state, unknown)); d["length"] != replace {
		t.Errorf("an unknown length replaces: %v", d)
	}
}

func TestKeepersReplaceOnlyWhenAValueChanges(t *testing.T) {
	obj := func(m map[string]any) resource.PropertyValue { return resource.NewObjectProperty(props(m)) }
	null := resource.NewNullProperty()
	for _, c := range []struct {
		name     string
		old, now resource.PropertyValue
		want     bool
	}{
		{"set", null, obj(map[string]any{"rotation": "1"}), true},
		{"set to null values", null, obj(map[string]any{"rotation": nil}), false},
		{"a null value added", obj(map[string]any{"rotation": "1"}), obj(map[string]any{"rotation": "1", "extra": nil}), false},
		{"a value changed", obj(map[string]any{"rotation": "1"}), obj(map[string]any{"rotation": "2"}), true},
		{"a key removed", obj(map[string]any{"rotation": "1"}), obj(map[string]any{}), true},
		{"unset", obj(map[string]any{"rotation": "1"}), null, false},
		{"secret against plain", resource.NewObjectProperty(resource.PropertyMap{"rotation": resource.MakeSecret(resource.NewStringProperty("1"))}), obj(map[string]any{"rotation": "1"}), false},
	} {
		if got := KeepersForceReplace(c.old, c.now); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	state, _ := Create(props(map[string]any{"length": 8, "keepers": map[string]any{"rotation": ""}}))
	if d := diffKinds(Diff(state, props(map[string]any{"length": 8, "keepers": map[string]any{"rotation": "2026-12"}}))); d["keepers"] != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("a keeper changed: %v", d)
	}
	if d := diffKinds(Diff(state, props(map[string]any{"length": 8, "keepers": map[string]any{"rotation": "", "more": nil}}))); len(d) != 1 || d["keepers"] != pulumirpc.PropertyDiff_UPDATE {
		t.Errorf("a null keeper added: %v", d)
	}
}

func TestOverrideSpecialFromEmptyToUnsetUpdatesInPlace(t *testing.T) {
	state, _ := Create(props(map[string]any{"length": 8, "overrideSpecial": ""}))
	if d := diffKinds(Diff(state, props(map[string]any{"length": 8}))); len(d) != 1 || d["overrideSpecial"] != pulumirpc.PropertyDiff_UPDATE {
		t.Errorf("\"\" to unset: %v", d)
	}
	if d := diffKinds(Diff(state, props(map[string]any{"length": 8, "overrideSpecial": "!"}))); d["overrideSpecial"] != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("\"\" to \"!\": %v", d)
	}
}
