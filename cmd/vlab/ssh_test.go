package main

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// A storm of one kind of event is one line until quietInterval passes;
// each line clears the prompt's row, ends its own, and asks for a redraw.
func TestTerminalLogRateLimits(t *testing.T) {
	var out lockedBuf
	redraws := 0
	tl := newTerminalLog(&out, func() { redraws++ })
	for range 500 {
		tl.emit("drop eni-1 security-group", "a drop")
	}
	tl.emit("health i-1 22 unhealthy", "unhealthy")
	tl.close()
	tl.emit("drop eni-1 security-group", "after close: ignored")
	assert.Equal(t, "\r\x1b[Kvlab: a drop\r\n\r\x1b[Kvlab: unhealthy\r\n", out.b.String())
	assert.Equal(t, 2, redraws)
}
