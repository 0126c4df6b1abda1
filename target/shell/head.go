package shell

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
)

var headSpec = optSpec{short: "c:n:qvz", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"bytes": "c:", "lines": "n:", "quiet": "q", "silent": "q", "verbose": "v", "zero-terminated": "z",
}}

// cmdHead prints the first lines (or bytes) of its files; with a negative
// count, all but the last.
func cmdHead(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := headSpec.parse(o, "head", legacyCount(args)[1:])
	if !ok {
		return st
	}
	count, bytesMode, allBut := int64(10), false, false
	headers := 0 // -1 never, 1 always, 0 with several files
	for _, op := range opts {
		switch op.key {
		case "c", "n":
			v := op.val
			allBut = strings.HasPrefix(v, "-")
			v = strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
			n, ok := countArg(v)
			if !ok {
				return badCount(o, "head", op.key, op.val)
			}
			count, bytesMode = n, op.key == "c"
		case "q":
			headers = -1
		case "v":
			headers = 1
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	showHeaders := headers == 1 || headers == 0 && len(files) > 1
	in := newInputs(ctx, o)
	defer in.close()
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	for i, name := range files {
		r, closeFile, err := in.open(name)
		if err != nil {
			o.Errorf("head", "cannot open %s for reading: %s", quoteaf(name), strerror(err))
			status = 1
			continue
		}
		if showHeaders {
			if i > 0 {
				out.WriteByte('\n')
			}
			fmt.Fprintf(out, "==> %s <==\n", displayName(name))
		}
		var rerr error
		switch {
		case bytesMode && !allBut:
			rerr = headBytes(out, r, count)
		case bytesMode:
			rerr = elideBytes(out, r, count)
		case !allBut:
			rerr = headLines(out, r, count)
		default:
			rerr = elideLines(out, r, count)
		}
		closeFile()
		if st, stop := headFailed(ctx, o, "head", name, rerr); stop {
			return st
		} else if st != 0 {
			status = st
		}
	}
	if err := out.Flush(); err != nil {
		st, _ := headFailed(ctx, o, "head", "", writeError{err})
		return st
	}
	return status
}

func headBytes(out *bufio.Writer, r io.Reader, n int64) error {
	if n == 0 {
		return nil
	}
	return readChunks(r, out, func(p []byte) (bool, error) {
		if int64(len(p)) > n {
			p = p[:n]
		}
		n -= int64(len(p))
		return n == 0, write(out, p)
	})
}

func headLines(out *bufio.Writer, r io.Reader, n int64) error {
	if n == 0 {
		return nil
	}
	return readChunks(r, out, func(p []byte) (bool, error) {
		end := len(p)
		for i := 0; i < len(p); {
			j := bytes.IndexByte(p[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			if n--; n == 0 {
				end = i
				break
			}
		}
		return n == 0, write(out, p[:end])
	})
}

// elideBytes writes all of r but its last n bytes, holding only those.
func elideBytes(out *bufio.Writer, r io.Reader, n int64) error {
	w := window{}
	return readChunks(r, out, func(p []byte) (bool, error) {
		if err := w.add(p); err != nil {
			return true, err
		}
		if extra := int64(w.len()) - n; extra > 0 {
			return false, w.emit(out, int(extra))
		}
		return false, nil
	})
}

// elideLines writes all of r but its last n lines, holding only those.
func elideLines(out *bufio.Writer, r io.Reader, n int64) error {
	w := window{}
	err := readChunks(r, out, func(p []byte) (bool, error) {
		if err := w.add(p); err != nil {
			return true, err
		}
		return false, w.emit(out, w.surplus(n))
	})
	if err != nil {
		return err
	}
	return write(out, w.bytes()[:lastLinesStart(w.bytes(), n, true)])
}
