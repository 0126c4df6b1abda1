package shell

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strconv"
)

var base64Spec = optSpec{short: "diw:", usage: "[OPTION]... [FILE]", long: map[string]string{
	"decode": "d", "ignore-garbage": "i", "wrap": "w:",
}}

// cmdBase64 encodes (or with -d decodes) base64, streaming.
func cmdBase64(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := base64Spec.parse(o, "base64", args[1:])
	if !ok {
		return st
	}
	decode, garbage, wrap := false, false, 76
	for _, op := range opts {
		switch op.key {
		case "d":
			decode = true
		case "i":
			garbage = true
		case "w":
			n, err := strconv.Atoi(op.val)
			if err != nil || n < 0 {
				o.Errorf("base64", "invalid wrap size: %s", quote(op.val))
				return 1
			}
			wrap = n
		}
	}
	if len(files) > 1 {
		return usageError(o, "base64", 1, "extra operand %s", quote(files[1]))
	}
	name := "-"
	if len(files) == 1 {
		name = files[0]
	}
	in := newInputs(ctx, o)
	defer in.close()
	r, closeFile, err := in.open(name)
	if err != nil {
		o.Errorf("base64", "%s: %s", quotef(name), strerror(err))
		return 1
	}
	defer closeFile()
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	if decode {
		rerr, werr, bad := base64Decode(out, &base64Filter{r: r, garbage: garbage})
		if werr == nil {
			werr = out.Flush()
		}
		switch {
		case werr != nil:
			return writeFailed(o, "base64", werr)
		case rerr != nil && interrupted(ctx, rerr):
			return statusInterrupted
		case rerr != nil:
			o.Errorf("base64", "%s: %s", quotef(name), strerror(rerr))
			return 1
		case bad:
			o.Errorf("base64", "invalid input")
			return 1
		}
		return 0
	}
	lw := &wrapWriter{w: out, width: wrap}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	rerr, werr := pump(enc, r, make([]byte, 3*bufSize/4))
	if werr == nil {
		werr = enc.Close()
	}
	if werr == nil && wrap > 0 && lw.col > 0 {
		werr = out.WriteByte('\n')
	}
	if werr == nil {
		werr = out.Flush()
	}
	switch {
	case werr != nil:
		return writeFailed(o, "base64", werr)
	case rerr != nil && interrupted(ctx, rerr):
		return statusInterrupted
	case rerr != nil:
		o.Errorf("base64", "%s: %s", quotef(name), strerror(rerr))
		return 1
	}
	return 0
}

// base64Decode decodes r in whole quanta of four characters; like GNU's,
// it writes what a short or broken last quantum still holds before it
// reports the input invalid.
func base64Decode(out io.Writer, r io.Reader) (rerr, werr error, bad bool) {
	buf := make([]byte, bufSize)
	dst := make([]byte, bufSize)
	pending := 0
	for {
		n, err := r.Read(buf[pending:])
		data := buf[:pending+n]
		whole := len(data) / 4 * 4
		if err != nil {
			whole = len(data)
		}
		enc := base64.StdEncoding
		chunk := data[:whole]
		if len(chunk)%4 != 0 {
			enc, chunk, bad = base64.RawStdEncoding, bytes.TrimRight(chunk, "="), true
		}
		k, derr := enc.Decode(dst, chunk)
		if _, werr := out.Write(dst[:k]); werr != nil {
			return nil, werr, false
		}
		if derr != nil {
			return nil, nil, true
		}
		pending = copy(buf, data[whole:])
		if err == io.EOF {
			return nil, nil, bad
		}
		if err != nil {
			return err, nil, false
		}
	}
}

// base64Filter drops the newlines of base64 input (with -i, every byte
// outside the alphabet).
type base64Filter struct {
	r       io.Reader
	garbage bool
}

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			switch {
			case c == '\n':
			case f.garbage && !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='):
			default:
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// wrapWriter breaks its output into lines of width (0: one line).
type wrapWriter struct {
	w     io.Writer
	width int
	col   int
}

func (l *wrapWriter) Write(p []byte) (int, error) {
	if l.width == 0 {
		return l.w.Write(p)
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), l.width-l.col)
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
		p, l.col = p[k:], l.col+k
		if l.col == l.width {
			if _, err := l.w.Write([]byte{'\n'}); err != nil {
				return 0, err
			}
			l.col = 0
		}
	}
	return n, nil
}
