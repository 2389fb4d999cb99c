package testkit_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestRandomBytes_IsReproducibleAndNotTrivial(t *testing.T) {
	a, b := testkit.RandomBytes(1<<16), testkit.RandomBytes(1<<16)
	require.Len(t, a, 1<<16)
	require.True(t, bytes.Equal(a, b), "the same n must give the same bytes, so a failure can be reproduced")
	assert.Greater(t, len(bytes.Split(a, []byte{0})), 100, "random bytes hold zeros here and there")
	assert.NotEqual(t, a[:1024], a[1024:2048], "the sequence must not repeat every KiB")
	assert.Empty(t, testkit.RandomBytes(0))
}

func TestFirstDiff_FindsTheFirstDifferentByte(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 3},
		{"abc", "abd", 2},
		{"xbc", "abc", 0},
		{"ab", "abc", 2}, // a prefix: the shorter length
		{"abc", "a", 1},
	} {
		assert.Equal(t, tc.want, testkit.FirstDiff([]byte(tc.a), []byte(tc.b)), "FirstDiff(%q, %q)", tc.a, tc.b)
	}
}

func TestRequireSameBytes_NamesTheFirstDifference(t *testing.T) {
	r := record(t, func(tb testing.TB) {
		testkit.RequireSameBytes(tb, []byte("hello"), []byte("hello"), "the echo")
	})
	assert.False(t, r.failed, "equal bytes must pass: %s", r.msg)

	r = record(t, func(tb testing.TB) {
		testkit.RequireSameBytes(tb, []byte("hello"), []byte("helLo"), "the echo")
	})
	assert.True(t, r.failed)
	assert.Equal(t, "the echo differs from what was sent, first at offset 3 of 5", r.msg)

	r = record(t, func(tb testing.TB) {
		testkit.RequireSameBytes(tb, []byte("hello"), []byte("hel"), "the reply")
	})
	assert.Equal(t, "the reply differs from what was sent, first at offset 3 of 5", r.msg, "a short reply differs where it ends")
}
