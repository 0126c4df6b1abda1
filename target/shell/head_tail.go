package shell

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"syscall"
)

// countArg parses head's and tail's N: digits with an optional multiplier
// (b 512, K 1024, KB 1000, M, MB… up to E); a number too large for int64
// means "everything", as GNU clamps it.
func countArg(s string) (int64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	mult := int64(1)
	if suf := s[i:]; suf != "" {
		m, ok := multipliers[suf]
		if !ok {
			return 0, false
		}
		mult = m
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return math.MaxInt64, true
	}
	return n * mult, true
}

var multipliers = func() map[string]int64 {
	m := map[string]int64{"b": 512}
	p2, p10 := int64(1), int64(1)
	for _, u := range "KMGTPE" {
		p2 *= 1024
		p10 *= 1000
		m[string(u)] = p2
		m[string(u)+"iB"] = p2
		m[string(u)+"B"] = p10
	}
	m["k"], m["kB"], m["kiB"] = 1024, 1000, 1024
	return m
}()

// legacyCount turns head's and tail's old "-5" (or "-5c") first argument
// into -n 5.
func legacyCount(args []string) []string {
	if len(args) < 2 || len(args[1]) < 2 || args[1][0] != '-' || args[1][1] < '0' || args[1][1] > '9' {
		return args
	}
	a := args[1][1:]
	flag := "-n"
	switch a[len(a)-1] {
	case 'c':
		flag, a = "-c", a[:len(a)-1]
	case 'l':
		a = a[:len(a)-1]
	}
	return append([]string{args[0], flag, a}, args[2:]...)
}

// headFailed reports an error of head or tail in their words and returns
// the status, and whether the command stops: a failed write stops it, a
// file that cannot be read does not.
func headFailed(ctx context.Context, o IO, cmd, name string, err error) (int, bool) {
	var we writeError
	switch {
	case err == nil:
		return 0, false
	case errors.As(err, &we) && errors.Is(we.err, syscall.EPIPE):
		return StatusBrokenPipe, true
	case errors.As(err, &we):
		o.Errorf(cmd, "error writing %s: %s", quoteaf("standard output"), strerror(we.err))
		return 1, true
	case interrupted(ctx, err):
		return statusInterrupted, true
	}
	o.Errorf(cmd, "error reading %s: %s", quoteaf(name), strerror(err))
	return 1, false
}

// displayName is how head and tail name a file in their headers.
func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// write is out.Write with its failure marked as a write's.
func write(out *bufio.Writer, p []byte) error {
	if _, err := out.Write(p); err != nil {
		return writeError{err}
	}
	return nil
}

// readChunks calls fn with each chunk read from r, flushing out before
// each read so that a slow input's output is not held back.
func readChunks(r io.Reader, out *bufio.Writer, fn func([]byte) (stop bool, err error)) error {
	buf := make([]byte, bufSize)
	for {
		if err := out.Flush(); err != nil {
			return writeError{err}
		}
		n, err := r.Read(buf)
		if n > 0 {
			stop, ferr := fn(buf[:n])
			if ferr != nil || stop {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// badCount reports a count head or tail cannot read, for -n (lines) or -c
// (bytes), and returns their status for it.
func badCount(o IO, cmd, key, val string) int {
	what := "lines"
	if key == "c" {
		what = "bytes"
	}
	o.Errorf(cmd, "invalid number of %s: %s", what, quote(val))
	return 1
}
