package vfs

import (
	"crypto/rand"
	"io"
)

// Null is /dev/null: reads end at once, writes vanish.
type Null struct{}

func (Null) Read([]byte) (int, error)    { return 0, io.EOF }
func (Null) Write(p []byte) (int, error) { return len(p), nil }

// Zero is /dev/zero: reads give zero bytes without end.
type Zero struct{}

func (Zero) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
func (Zero) Write(p []byte) (int, error) { return len(p), nil }

// Random is /dev/urandom and /dev/random: reads give random bytes without
// end.
type Random struct{}

func (Random) Read(p []byte) (int, error)  { return rand.Read(p) }
func (Random) Write(p []byte) (int, error) { return len(p), nil }
