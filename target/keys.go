package target

import (
	"io"
	"sync"
)

// keyQueue holds the keys a terminal sent that no one has read yet: what
// the user types ahead while a command runs. Its reader (the line editor)
// blocks until keys come; the pump that fills it never blocks, so that a
// Ctrl-C behind typed-ahead keys still reaches the running command.
type keyQueue struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte
	err  error // the terminal's end, once reached
}

// maxTypeAhead is how many unread keys the queue keeps (a Linux tty's
// input buffer holds 4 KiB; pastes need more).
const maxTypeAhead = 64 << 10

func newKeyQueue() *keyQueue {
	q := &keyQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// push appends keys, dropping what exceeds maxTypeAhead as a full tty
// buffer does.
func (q *keyQueue) push(p []byte) {
	q.mu.Lock()
	room := maxTypeAhead - len(q.buf)
	if room > 0 {
		q.buf = append(q.buf, p[:min(len(p), room)]...)
	}
	q.mu.Unlock()
	q.cond.Broadcast()
}

// flush discards the unread keys: a tty's interrupt character flushes its
// input queue.
func (q *keyQueue) flush() {
	q.mu.Lock()
	q.buf = q.buf[:0]
	q.mu.Unlock()
}

// end records the terminal's end; readers get err once the keys before it
// are read.
func (q *keyQueue) end(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.mu.Unlock()
	q.cond.Broadcast()
}

// close makes every read return io.EOF: the session is over.
func (q *keyQueue) close() { q.end(io.EOF) }

func (q *keyQueue) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.buf) == 0 && q.err == nil {
		q.cond.Wait()
	}
	if len(q.buf) == 0 {
		return 0, q.err
	}
	n := copy(p, q.buf)
	q.buf = q.buf[:copy(q.buf, q.buf[n:])]
	return n, nil
}
