package shell

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vlab-sim/vlab/target/vfs"
)

var tailSpec = optSpec{short: "c:n:fFqs:vz", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"bytes": "c:", "lines": "n:", "follow": "f::", "quiet": "q", "silent": "q", "verbose": "v",
	"sleep-interval": "s:", "retry": "retry", "pid": "pid:", "zero-terminated": "z",
}}

// tailOpts are tail's settings.
type tailOpts struct {
	count     int64
	bytesMode bool
	fromStart bool // +N: from the Nth line (byte) on
	follow    bool
	byName    bool // -F: reopen a file that was replaced or reappears
}

// cmdTail prints the last lines (or bytes) of its files; -f then follows
// them as they grow until it is stopped.
func cmdTail(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := tailSpec.parse(o, "tail", legacyCount(args)[1:])
	if !ok {
		return st
	}
	t := tailOpts{count: 10}
	headers := 0
	for _, op := range opts {
		switch op.key {
		case "c", "n":
			v := op.val
			t.fromStart = strings.HasPrefix(v, "+")
			n, ok := countArg(strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+"))
			if !ok {
				return badCount(o, "tail", op.key, v)
			}
			t.count, t.bytesMode = n, op.key == "c"
		case "f":
			t.follow = true
			t.byName = t.byName || op.val == "name"
		case "F":
			t.follow, t.byName = true, true
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
	var follows []*followed
	for i, name := range files {
		var r io.Reader
		var f *vfs.File
		if name == "-" {
			r = in.stdinReader()
		} else {
			var err error
			if f, err = openFile(o, name); err != nil {
				o.Errorf("tail", "cannot open %s for reading: %s", quoteaf(name), strerror(err))
				status = 1
				if t.byName {
					follows = append(follows, &followed{name: name, gone: true})
				}
				continue
			}
			r = ctxReader{ctx, f}
		}
		if showHeaders {
			if i > 0 {
				out.WriteByte('\n')
			}
			fmt.Fprintf(out, "==> %s <==\n", displayName(name))
		}
		rerr := t.tail(out, r)
		if st, stop := headFailed(ctx, o, "tail", name, rerr); st != 0 {
			if f != nil {
				f.Close()
			}
			if stop {
				return st
			}
			status = st
			continue
		}
		if f != nil {
			if t.follow {
				follows = append(follows, newFollowed(name, f))
			} else {
				f.Close()
			}
		}
	}
	if err := out.Flush(); err != nil {
		st, _ := headFailed(ctx, o, "tail", "", writeError{err})
		return st
	}
	if !t.follow || len(follows) == 0 {
		if t.follow && len(files) > 0 && files[0] != "-" {
			o.Errorf("tail", "no files remaining")
		}
		return status
	}
	return follow(ctx, o, out, follows, t.byName, showHeaders, follows[len(follows)-1].name)
}

// tail writes the part of r that t asks for.
func (t tailOpts) tail(out *bufio.Writer, r io.Reader) error {
	switch {
	case t.fromStart:
		skip := max(t.count-1, 0)
		return readChunks(r, out, func(p []byte) (bool, error) {
			if t.bytesMode {
				k := min(int64(len(p)), skip)
				skip -= k
				p = p[k:]
			} else {
				for skip > 0 && len(p) > 0 {
					j := bytes.IndexByte(p, '\n')
					if j < 0 {
						p = nil
						break
					}
					p = p[j+1:]
					skip--
				}
			}
			return false, write(out, p)
		})
	case t.bytesMode:
		w := window{}
		err := readChunks(r, out, func(p []byte) (bool, error) {
			if err := w.add(p); err != nil {
				return true, err
			}
			if extra := int64(w.len()) - t.count; extra > 0 {
				w.drop(int(extra))
			}
			return false, nil
		})
		if err != nil {
			return err
		}
		return write(out, w.bytes())
	default:
		w := window{}
		err := readChunks(r, out, func(p []byte) (bool, error) {
			if err := w.add(p); err != nil {
				return true, err
			}
			w.drop(w.surplus(t.count))
			return false, nil
		})
		if err != nil {
			return err
		}
		b := w.bytes()
		return write(out, b[lastLinesStart(b, t.count, true):])
	}
}
