package book

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const regionSrc = `package p

import "io"

// ANCHOR: outer
func Outer(w io.Writer) {
	// ANCHOR: inner
	if w != nil {
		w.Write(nil)
	}
	// ANCHOR_END: inner
}
// ANCHOR_END: outer

// T is a type.
type T struct{ n int }

// Get returns n.
//
// It never fails.
func (t *T) Get() int { return t.n }

// Set is a function, not the method.
func Set() {}

// Set sets n.
func (t T) Set(n int) { t.n = n }

type (
	// A is grouped.
	A int
	B string
)

// Gen is generic.
type Gen[K comparable] struct{}

// Len is a method of a generic type.
func (g *Gen[K]) Len() int { return 0 }
`

func TestExtract_Regions(t *testing.T) {
	tests := []struct {
		name string
		arg  string
		want string
	}{
		{"whole file has no markers", "f.go", ""},
		{"anchor, nested markers stripped", "f.go:outer",
			"func Outer(w io.Writer) {\n\tif w != nil {\n\t\tw.Write(nil)\n\t}\n}\n"},
		{"inner anchor is dedented", "f.go:inner", "if w != nil {\n\tw.Write(nil)\n}\n"},
		{"line range", "f.go:8:10", "if w != nil {\n\tw.Write(nil)\n}\n"},
		{"open start", "f.go::3", "package p\n\nimport \"io\"\n"},
		{"function with doc comment", "f.go#Set", "// Set is a function, not the method.\nfunc Set() {}\n"},
		{"method with pointer receiver and long doc", "f.go#T.Get",
			"// Get returns n.\n//\n// It never fails.\nfunc (t *T) Get() int { return t.n }\n"},
		{"method with value receiver, not the function", "f.go#T.Set", "// Set sets n.\nfunc (t T) Set(n int) { t.n = n }\n"},
		{"type", "f.go#T", "// T is a type.\ntype T struct{ n int }\n"},
		{"type in a group", "f.go#A", "// A is grouped.\nA int\n"},
		{"method of a generic type", "f.go#Gen.Len", "// Len is a method of a generic type.\nfunc (g *Gen[K]) Len() int { return 0 }\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := parseInclude(tt.arg)
			require.NoError(t, err)
			got, err := extract("f.go", []byte(regionSrc), spec)
			require.NoError(t, err)
			if tt.want == "" {
				assert.NotContains(t, got, "ANCHOR", "marker lines never reach the book")
				assert.Contains(t, got, "func Outer")
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExtract_Errors(t *testing.T) {
	tests := []struct {
		name, src, arg, want string
	}{
		{"unknown anchor", regionSrc, "f.go:nope", `f.go: no anchor "nope"`},
		{"unclosed", "a\n// ANCHOR: x\nb\n", "f.go:x", `f.go:2: anchor "x" is never closed`},
		{"duplicate", "// ANCHOR: x\n// ANCHOR_END: x\n// ANCHOR: x\n// ANCHOR_END: x\n", "f.go:x", `f.go:3: duplicate anchor "x" (first at line 1)`},
		{"end before start", "// ANCHOR_END: x\n// ANCHOR: x\n", "f.go:x", "f.go:1: ANCHOR_END: x has no ANCHOR: x before it"},
		{"empty region", "// ANCHOR: x\n\n   \n// ANCHOR_END: x\n", "f.go:x", "f.go: the included region is empty"},
		{"other region broken", "// ANCHOR: x\na\n// ANCHOR_END: x\n// ANCHOR: y\n", "f.go:x", `anchor "y" is never closed`},
		{"line range past the end", "a\nb\n", "f.go:2:5", "f.go has 2 lines"},
		{"no such function", regionSrc, "f.go#Nope", "f.go: no function or type Nope"},
		{"no such method", regionSrc, "f.go#T.Nope", "f.go: no method T.Nope"},
		{"method asked as function", regionSrc, "f.go#Get", "f.go: no function or type Get"},
		{"not Go", "not go", "f.go#F", "f.go: cannot parse Go source for #F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := parseInclude(tt.arg)
			require.NoError(t, err)
			_, err = extract("f.go", []byte(tt.src), spec)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParseInclude_RejectsMalformed(t *testing.T) {
	for _, arg := range []string{"f.go:", "f.go:a:b", "f.go:0:3", "f.go:3:1", "f.go:1:2:3", "#F", "f.go#"} {
		_, err := parseInclude(arg)
		assert.Error(t, err, "parseInclude(%q)", arg)
	}
}

func TestDedent(t *testing.T) {
	assert.Equal(t, "a\n\tb\n\nc\n", dedent([]string{"", "\t\ta", "\t\t\tb", "", "\t\tc", "  "}))
	assert.Equal(t, "x\n  y\n", dedent([]string{"  x", "    y"}))
}
