package lineedit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentUse is for the race detector: everything but ReadLine may
// be called while ReadLine waits.
func TestConcurrentUse(t *testing.T) {
	pr, pw := io.Pipe()
	e := New(pr, &lockedBuffer{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			if _, err := e.ReadLine(); errors.Is(err, io.EOF) {
				return
			}
		}
	})
	wg.Go(func() {
		for i := range 200 {
			e.Write([]byte("out\n"))
			e.SetSize(i%30, 24)
			e.SetPrompt(fmt.Sprint(i, "$ "))
			e.AddHistory(fmt.Sprint("cmd", i))
			e.History()
			e.Pending()
		}
	})
	for range 50 {
		_, err := io.WriteString(pw, "ab\x1b[D\x12cmd\x12\x1b[C\r")
		require.NoError(t, err)
	}
	pw.Close()
	wg.Wait()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func TestConcurrentReadLine(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ns := &notifyScreen{s: newScreen(80, 5), signal: make(chan struct{}, 1)}
	e := New(pr, ns)
	e.SetPrompt("$ ")
	done := make(chan error)
	go func() {
		_, err := e.ReadLine()
		done <- err
	}()
	ns.waitFor(t, "$")
	_, err := e.ReadLine()
	assert.ErrorIs(t, err, errConcurrentRead)
	pw.Close()
	assert.ErrorIs(t, <-done, io.EOF)
}
