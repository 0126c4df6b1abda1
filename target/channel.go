package target

import (
	"io"
	"sync"

	"golang.org/x/crypto/ssh"
)

// lockedChannel serialises what a session writes to its channel: data,
// stderr, requests and CloseWrite. x/crypto/ssh does not make CloseWrite
// safe against a concurrent Write (a window change redrawing the line
// editor while the program ends raced inside the library), so every writer
// of a session goes through one lock. Close does not take it: the library
// guards Close against writes itself (sentClose under its writeMu), and a
// Write blocked on window space (a client that stopped reading) holds the
// lock, which would keep kill or a hang-up from ever closing the channel;
// Close is what unblocks that Write. A goroutine's own writes still come
// before its Close, as it makes them in order.
type lockedChannel struct {
	ssh.Channel
	mu *sync.Mutex
}

func newLockedChannel(ch ssh.Channel) lockedChannel {
	return lockedChannel{Channel: ch, mu: &sync.Mutex{}}
}

func (c lockedChannel) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Channel.Write(p)
}

func (c lockedChannel) CloseWrite() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Channel.CloseWrite()
}

func (c lockedChannel) Close() error {
	return c.Channel.Close()
}

func (c lockedChannel) SendRequest(name string, wantReply bool, payload []byte) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Channel.SendRequest(name, wantReply, payload)
}

// Stderr returns the channel's extended-data writer, behind the same lock.
func (c lockedChannel) Stderr() io.ReadWriter {
	return lockedStderr{c.Channel.Stderr(), c.mu}
}

type lockedStderr struct {
	io.ReadWriter
	mu *sync.Mutex
}

func (s lockedStderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ReadWriter.Write(p)
}
