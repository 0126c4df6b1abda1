package shell

import (
	"bufio"
	"bytes"
)

// window is the tail of a stream that head and tail hold: held[start:],
// with the number of newlines in it. Dropping from its front only moves
// start; the bytes move once start passes half, so that each byte is
// copied a bounded number of times.
type window struct {
	held  []byte
	start int
	lines int64
}

func (w *window) len() int      { return len(w.held) - w.start }
func (w *window) bytes() []byte { return w.held[w.start:] }

func (w *window) add(p []byte) error {
	if w.len()+len(p) > maxBuffered {
		return errTooBig
	}
	w.held = append(w.held, p...)
	w.lines += int64(bytes.Count(p, []byte{'\n'}))
	return nil
}

// drop removes k bytes from the front.
func (w *window) drop(k int) {
	w.lines -= int64(bytes.Count(w.held[w.start:w.start+k], []byte{'\n'}))
	w.start += k
	if w.start > len(w.held)/2 {
		w.held = append(w.held[:0], w.held[w.start:]...)
		w.start = 0
	}
}

// emit writes k bytes from the front and drops them.
func (w *window) emit(out *bufio.Writer, k int) error {
	if err := write(out, w.held[w.start:w.start+k]); err != nil {
		return err
	}
	w.drop(k)
	return nil
}

// surplus is the length of the front lines that are surely not among the
// last n lines of the stream, however it goes on: all but the last n+1
// newline-ended ones.
func (w *window) surplus(n int64) int {
	excess := w.lines - (n + 1)
	i := w.start
	for ; excess > 0; excess-- {
		i += bytes.IndexByte(w.held[i:], '\n') + 1
	}
	return i - w.start
}

// lastLinesStart is where the last n lines of data begin, for data that
// is complete (final) or may go on: then only lines that are surely not
// among the last n come before it.
func lastLinesStart(data []byte, n int64, final bool) int {
	need := n + 1 // newlines from the end, the one ending the line before the first kept
	if final && (len(data) == 0 || data[len(data)-1] != '\n') {
		need = n // an unterminated last line counts
	}
	if need == 0 {
		return len(data)
	}
	i := len(data)
	for ; need > 0; need-- {
		i = bytes.LastIndexByte(data[:i], '\n')
		if i < 0 {
			return 0
		}
	}
	return i + 1
}
