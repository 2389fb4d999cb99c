package testkit

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// RandomBytes returns n bytes of a fixed pseudo-random sequence: the same n
// gives the same bytes in every run, so a failure can be reproduced.
// Random bytes, unlike repeated text, catch data that is reordered,
// duplicated or lost.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{'n', 'e', 't', 'l', 'i', 'n', 'g', 's'})
	_, _ = rng.Read(b) // a ChaCha8 never fails
	return b
}

// RequireSameBytes stops the test (t.Fatalf) unless got equals want. The
// message names what (e.g. "the echo") and the first offset where the two
// differ: printing megabytes of bytes would help nobody.
func RequireSameBytes(t testing.TB, want, got []byte, what string) {
	t.Helper()
	if !bytes.Equal(want, got) {
		t.Fatalf("%s differs from what was sent, first at offset %d of %d", what, FirstDiff(want, got), len(want))
	}
}

// FirstDiff returns the first index at which a and b differ. When one is a
// prefix of the other it returns the shorter length; for equal slices, their
// length.
func FirstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
