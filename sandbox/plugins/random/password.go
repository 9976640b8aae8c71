// Package random is the stand-in for pulumi-resource-random (the plugin @pulumi/random 4.21.2 asks
// for), serving only what the program uses: random.RandomPassword (token
// random:index/randomPassword:RandomPassword). pulumi-random bridges hashicorp/terraform-provider-random
// v3.9.0 (commit f8d869dc, the one pulumi-random's provider/go.mod requires), whose
// internal/provider/resource_password.go (passwordSchemaV3) and internal/random/string.go this
// follows:
//   - inputs (Pulumi names of the TF attributes): length (required, >= 1 and >= the sum of the min*
//     fields), keepers (map of strings), special/upper/lower (default true), numeric and its
//     deprecated twin number (default true, must agree), minNumeric/minUpper/minLower/minSpecial
//     (default 0), overrideSpecial;
//   - every input forces replacement (RequiresReplace), with two exceptions: keepers only when a
//     value actually changes (mapplanmodifiers.RequiresReplaceIfValuesNotNull: adding null values is
//     no change), and overrideSpecial going from "" to unset;
//   - outputs: the inputs with defaults filled, `result` and `bcryptHash` (Sensitive, hence secret
//     outputs in Pulumi), id "none"; Read, Update and Delete do nothing.
//
// Known difference: validation messages are this package's wording.
package random

import (
	"crypto/rand"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"

	"textslash.dev/standins/host"
)

// Token is RandomPassword's type token.
const Token = "random:index/randomPassword:RandomPassword"

const (
	numChars     = "0123456789"
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	specialChars = "!@#$%&*()-_=+[]{}<>:?"
)

var (
	boolFields = []resource.PropertyKey{"special", "upper", "lower", "numeric", "number"}
	intFields  = []resource.PropertyKey{"length", "minNumeric", "minUpper", "minLower", "minSpecial"}
)

// Params are the inputs a password is made from, defaults applied.
type Params struct {
	Length                                     int
	Special, Upper, Lower, Numeric             bool
	MinNumeric, MinUpper, MinLower, MinSpecial int
	OverrideSpecial                            string
}

// WithDefaults is the inputs with the schema's defaults applied (Default /
// NumberNumericAttributePlanModifier).
func WithDefaults(inputs resource.PropertyMap) resource.PropertyMap {
	out := inputs.Copy()
	for _, f := range []resource.PropertyKey{"special", "upper", "lower"} {
		if !host.Present(out, f) {
			out[f] = resource.NewBoolProperty(true)
		}
	}
	for _, f := range []resource.PropertyKey{"minNumeric", "minUpper", "minLower", "minSpecial"} {
		if !host.Present(out, f) {
			out[f] = resource.NewNumberProperty(0)
		}
	}
	numeric := resource.NewBoolProperty(true)
	if host.Present(out, "numeric") {
		numeric = out["numeric"]
	} else if host.Present(out, "number") {
		numeric = out["number"]
	}
	out["numeric"], out["number"] = numeric, numeric
	return out
}

func isWhole(v resource.PropertyValue) bool {
	return v.IsNumber() && v.NumberValue() == math.Trunc(v.NumberValue())
}

// Check is the resource's validators, with the Pulumi property name of each failure.
func Check(news resource.PropertyMap) []host.CheckFailure {
	var failures []host.CheckFailure
	v := host.RevealMap(news)
	if !host.Present(v, "length") {
		failures = append(failures, host.CheckFailure{Property: "length", Reason: "Missing required property 'length'"})
	}
	for _, f := range intFields {
		if x := v[f]; !x.IsNull() && !x.ContainsUnknowns() && !isWhole(x) {
			failures = append(failures, host.CheckFailure{Property: string(f), Reason: fmt.Sprintf("%s must be a whole number (got %v)", f, x.Mappable())})
		}
	}
	for _, f := range boolFields {
		if x := v[f]; !x.IsNull() && !x.ContainsUnknowns() && !x.IsBool() {
			failures = append(failures, host.CheckFailure{Property: string(f), Reason: fmt.Sprintf("%s must be a boolean", f)})
		}
	}
	if len(failures) > 0 || news.ContainsUnknowns() {
		return failures
	}
	p := ParamsOf(v)
	mins := p.MinUpper + p.MinLower + p.MinNumeric + p.MinSpecial
	if p.Length < 1 {
		failures = append(failures, host.CheckFailure{Property: "length", Reason: fmt.Sprintf("length must be at least 1, got: %d", p.Length)})
	} else if p.Length < mins {
		failures = append(failures, host.CheckFailure{Property: "length", Reason: fmt.Sprintf(
			"length must be at least the sum of min_upper, min_lower, min_numeric and min_special (%d), got: %d", mins, p.Length)})
	}
	if v["number"].IsBool() && v["numeric"].IsBool() && v["number"].BoolValue() != v["numeric"].BoolValue() {
		failures = append(failures, host.CheckFailure{Property: "numeric", Reason: "Number and numeric are both configured with different values: number is deprecated, use numeric instead"})
	}
	if !p.Special && !p.Upper && !p.Lower && !p.Numeric {
		failures = append(failures, host.CheckFailure{Property: "numeric", Reason: "at least one of special, upper, lower and numeric must be true"})
	}
	return failures
}

// ParamsOf reads valid (Check-ed) inputs.
func ParamsOf(inputs resource.PropertyMap) Params {
	p := WithDefaults(host.RevealMap(inputs))
	num := func(k resource.PropertyKey) int { return int(p[k].NumberValue()) }
	params := Params{
		Length: num("length"), Special: p["special"].BoolValue(), Upper: p["upper"].BoolValue(), Lower: p["lower"].BoolValue(),
		Numeric: p["numeric"].BoolValue(), MinNumeric: num("minNumeric"), MinUpper: num("minUpper"), MinLower: num("minLower"),
		MinSpecial: num("minSpecial"),
	}
	if p["overrideSpecial"].IsString() {
		params.OverrideSpecial = p["overrideSpecial"].StringValue()
	}
	return params
}

// Pick returns a uniformly random int in [0, n).
type Pick func(n int) int

// CryptoPick draws from crypto/rand, as internal/random/string.go does.
func CryptoPick(n int) int {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return int(i.Int64())
}

// CreateString is internal/random/string.go CreateString: the minimums first, the rest from the
// whole set, shuffled.
func CreateString(p Params, pick Pick) (string, error) {
	special := specialChars
	if p.OverrideSpecial != "" {
		special = p.OverrideSpecial
	}
	var chars strings.Builder
	for _, set := range []struct {
		on    bool
		chars string
	}{{p.Upper, upperChars}, {p.Lower, lowerChars}, {p.Numeric, numChars}, {p.Special, special}} {
		if set.on {
			chars.WriteString(set.chars)
		}
	}
	if chars.Len() == 0 {
		return "", fmt.Errorf("the character set specified is empty")
	}
	from := func(set string, n int) []rune {
		runes := []rune(set)
		out := make([]rune, 0, max(n, 0))
		for range max(n, 0) {
			out = append(out, runes[pick(len(runes))])
		}
		return out
	}
	result := append(append(append(from(numChars, p.MinNumeric), from(lowerChars, p.MinLower)...), from(upperChars, p.MinUpper)...), from(special, p.MinSpecial)...)
	result = append(result, from(chars.String(), p.Length-len(result))...)
	// Shuffle (Fisher-Yates with a CSPRNG; the Go code sorts by random bytes, to the same end).
	for i := len(result) - 1; i > 0; i-- {
		j := pick(i + 1)
		result[i], result[j] = result[j], result[i]
	}
	return string(result), nil
}

// Create is the state a create leaves: inputs with defaults, the secret result and its bcrypt hash.
func Create(inputs resource.PropertyMap) (resource.PropertyMap, error) {
	result, err := CreateString(ParamsOf(inputs), CryptoPick)
	if err != nil {
		return nil, err
	}
	hash, err := generateHash(result)
	if err != nil {
		return nil, fmt.Errorf("hashing the password: %w", err)
	}
	out := WithDefaults(inputs)
	out["result"] = resource.MakeSecret(resource.NewStringProperty(result))
	out["bcryptHash"] = resource.MakeSecret(resource.NewStringProperty(string(hash)))
	return out, nil
}

// generateHash is resource_password.go's (v3.9.0): bcrypt at its default cost of the first 72
// bytes, since x/crypto's bcrypt refuses longer input (v0.5.0 and later) and the TF provider
// truncates rather than fail a long password.
func generateHash(password string) (string, error) {
	b := []byte(password)
	if len(b) > 72 {
		b = b[:72]
	}
	hash, err := bcrypt.GenerateFromPassword(b, bcrypt.DefaultCost)
	return string(hash), err
}

// KeepersForceReplace is RequiresReplaceIfValuesNotNull: a keepers change replaces unless it only
// adds or keeps null values.
func KeepersForceReplace(old, now resource.PropertyValue) bool {
	o, n := host.Reveal(old), host.Reveal(now)
	if n.IsNull() {
		return false
	}
	if host.Same(o, n) {
		return false
	}
	if o.IsNull() {
		for _, v := range n.ObjectValue() {
			if !v.IsNull() {
				return true
			}
		}
		return false
	}
	om, nm := o.ObjectValue(), n.ObjectValue()
	for k, v := range nm {
		ov, had := om[k]
		if !had && v.IsNull() {
			continue
		}
		if host.Same(v, ov) {
			continue
		}
		return true
	}
	for k := range om {
		if _, kept := nm[k]; !kept {
			return true
		}
	}
	return false
}

// Diff is the plan against the recorded state: which inputs changed, and that each change replaces.
func Diff(oldOutputs, news resource.PropertyMap) host.Diff {
	olds, now := WithDefaults(oldOutputs), WithDefaults(news)
	detailed := map[string]pulumirpc.PropertyDiff_Kind{}
	for _, f := range append(append([]resource.PropertyKey{}, intFields...), boolFields...) {
		if !host.Same(olds[f], now[f]) {
			detailed[string(f)] = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
	}
	if !host.Same(olds["overrideSpecial"], now["overrideSpecial"]) {
		toUnsetFromEmpty := olds["overrideSpecial"].IsString() && olds["overrideSpecial"].StringValue() == "" && now["overrideSpecial"].IsNull()
		detailed["overrideSpecial"] = pulumirpc.PropertyDiff_UPDATE_REPLACE
		if toUnsetFromEmpty {
			detailed["overrideSpecial"] = pulumirpc.PropertyDiff_UPDATE
		}
	}
	if !host.Same(olds["keepers"], now["keepers"]) {
		detailed["keepers"] = pulumirpc.PropertyDiff_UPDATE
		if KeepersForceReplace(olds["keepers"], now["keepers"]) || now["keepers"].ContainsUnknowns() {
			detailed["keepers"] = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
	}
	return host.Diff{DetailedDiff: detailed}
}
