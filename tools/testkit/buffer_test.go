package testkit_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"netlings/tools/testkit"
)

func TestSyncBuffer_IsSafeForConcurrentWritesAndReads(t *testing.T) {
	var b testkit.SyncBuffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String() // a reader while the others write: -race checks this
			}
		})
	}
	wg.Wait()
	assert.Equal(t, strings.Repeat("x", 400), b.String())
}
