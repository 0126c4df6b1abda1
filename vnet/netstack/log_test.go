package netstack

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	glog "gvisor.dev/gvisor/pkg/log"
)

func TestGVisorLogIsVlabsAndOffByDefault(t *testing.T) {
	_, ok := glog.Log().Emitter.(emitter)
	assert.True(t, ok, "gVisor's log goes to vlab's emitter, not to stderr")
	glog.Warningf("discarded: %d", 1) // nowhere to go: no panic, no output

	var mu sync.Mutex
	var lines []string
	SetLogger(func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() })
	defer SetLogger(nil)
	glog.Warningf("odd packet from %s", "203.0.113.66")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"Warning: odd packet from 203.0.113.66"}, lines)
}
