// Package splice joins two connections: what one reads the other writes,
// both ways, as a forwarder or a proxy does.
package splice

import (
	"context"
	"io"
)

// Splice copies a to b and b to a until both directions have ended (each
// end's half-close passed on when it supports CloseWrite) or ctx is done,
// then closes both and returns once its two copies have stopped.
func Splice(ctx context.Context, a, b io.ReadWriteCloser) {
	done := make(chan struct{}, 2)
	cp := func(dst, src io.ReadWriteCloser) {
		io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(b, a)
	go cp(a, b)
	for n := 0; n < 2; {
		select {
		case <-done:
			n++
		case <-ctx.Done():
			a.Close()
			b.Close()
			for ; n < 2; n++ {
				<-done
			}
		}
	}
	a.Close()
	b.Close()
}
