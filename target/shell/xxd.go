package shell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/target/vfs"
)

var xxdSpec = optSpec{short: "bc:Eg:il:prs:uv", usage: "[options] [infile [outfile]]", version: "xxd 2022-01-14 by Juergen Weigert et al.", long: map[string]string{
	"bits": "b", "cols": "c:", "groupsize": "g:", "len": "l:", "ps": "p", "plain": "p",
	"postscript": "p", "revert": "r", "seek": "s:", "uppercase": "u", "version": "v",
}}

// cmdXxd prints a hex dump as xxd does (or, with -r, turns one back into
// bytes).
func cmdXxd(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := xxdSpec.parse(o, "xxd", args[1:])
	if !ok {
		return st
	}
	cols, group, limit, seek := 0, -1, int64(-1), int64(0)
	plain, bits, revert, upper := false, false, false, false
	for _, op := range opts {
		var err error
		switch op.key {
		case "p":
			plain = true
		case "b":
			bits = true
		case "r":
			revert = true
		case "u":
			upper = true
		case "v":
			fmt.Fprintln(o.Stderr, xxdSpec.version)
			return 0
		case "c":
			cols, err = strconv.Atoi(op.val)
			if err == nil && (cols < 0 || cols > 256) {
				o.Errorf("xxd", "invalid number of columns (max. 256).")
				return 1
			}
		case "g":
			group, err = strconv.Atoi(op.val)
		case "l":
			limit, err = strconv.ParseInt(op.val, 0, 64)
		case "s":
			seek, err = strconv.ParseInt(strings.TrimPrefix(op.val, "+"), 0, 64)
			if seek < 0 {
				o.Errorf("xxd", "sorry, cannot seek.")
				return 4
			}
		case "i", "E":
			o.Errorf("xxd", "-%s is not supported on this simulated instance", op.key)
			return 1
		}
		if err != nil {
			o.Errorf("xxd", "invalid argument %s for -%s", op.val, op.key)
			return 1
		}
	}
	if len(files) > 2 {
		fmt.Fprintln(o.Stderr, "Usage:\n       xxd [options] [infile [outfile]]\n    or\n       xxd -r [-s [-]offset] [-c cols] [-ps] [infile [outfile]]")
		return 1
	}
	in := newInputs(ctx, o)
	defer in.close()
	name := "-"
	if len(files) > 0 {
		name = files[0]
	}
	r, closeFile, err := in.open(name)
	if err != nil {
		o.Errorf("xxd", "%s: %s", name, strerror(err))
		return 2
	}
	defer closeFile()
	var w io.Writer = o.Stdout
	if len(files) == 2 && files[1] != "-" {
		f, err := o.FS.OpenFile(o.Path(files[1]), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, fileMode)
		if err != nil {
			o.Errorf("xxd", "%s: %s", files[1], strerror(err))
			return 3
		}
		defer f.Close()
		w = f
	}
	out := bufio.NewWriterSize(w, bufSize)
	if revert {
		err = xxdRevert(out, r, plain)
	} else {
		if cols == 0 {
			cols = 16
			switch {
			case plain:
				cols = 30
			case bits:
				cols = 6
			}
		}
		if group < 0 {
			group = 2
			if bits {
				group = 1
			}
		}
		if group == 0 || group > cols {
			group = cols
		}
		if seek > 0 {
			if _, err := io.CopyN(io.Discard, r, seek); err != nil && err != io.EOF {
				return xxdFailed(ctx, o, name, err)
			}
		}
		if limit >= 0 {
			r = io.LimitReader(r, limit)
		}
		err = xxdDump(out, r, xxdFormat{cols: cols, group: group, plain: plain, bits: bits, upper: upper, off: seek})
	}
	if err != nil {
		return xxdFailed(ctx, o, name, err)
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "xxd", err)
	}
	return 0
}

func xxdFailed(ctx context.Context, o IO, name string, err error) int {
	var we writeError
	switch {
	case errors.As(err, &we):
		return writeFailed(o, "xxd", we.err)
	case interrupted(ctx, err):
		return statusInterrupted
	}
	o.Errorf("xxd", "%s: %s", name, strerror(err))
	return 2
}

// xxdFormat is the layout of a dump.
type xxdFormat struct {
	cols, group        int
	plain, bits, upper bool
	off                int64
}

// xxdDump writes r as lines of cols bytes.
func xxdDump(out *bufio.Writer, r io.Reader, f xxdFormat) error {
	line := make([]byte, f.cols)
	br := bufio.NewReaderSize(r, bufSize)
	digits := "0123456789abcdef"
	if f.upper {
		digits = "0123456789ABCDEF"
	}
	perByte := 2
	if f.bits {
		perByte = 8
	}
	hexWidth := f.cols*perByte + (f.cols+f.group-1)/f.group
	var b []byte
	for {
		if br.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return writeError{err}
			}
		}
		n, err := io.ReadFull(br, line)
		if n > 0 {
			b = b[:0]
			data := line[:n]
			if f.plain {
				for _, c := range data {
					b = append(b, digits[c>>4], digits[c&15])
				}
			} else {
				b = fmt.Appendf(b, "%08x:", f.off)
				start := len(b)
				for i, c := range data {
					if i%f.group == 0 {
						b = append(b, ' ')
					}
					if f.bits {
						for k := 7; k >= 0; k-- {
							b = append(b, '0'+(c>>k)&1)
						}
					} else {
						b = append(b, digits[c>>4], digits[c&15])
					}
				}
				for len(b)-start < hexWidth {
					b = append(b, ' ')
				}
				b = append(b, ' ', ' ')
				for _, c := range data {
					if c < 0x20 || c > 0x7e {
						c = '.'
					}
					b = append(b, c)
				}
			}
			b = append(b, '\n')
			if _, werr := out.Write(b); werr != nil {
				return writeError{werr}
			}
			f.off += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// xxdRevert turns a dump back into bytes: plain hex with -p, else xxd's
// own lines (the offset, then hex up to the two spaces before the text).
func xxdRevert(out *bufio.Writer, r io.Reader, plain bool) error {
	lr := newLineReader(r, out)
	var pending int = -1
	var pos int64
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		body, _ := chomp(line)
		if !plain {
			colon := bytes.IndexByte(body, ':')
			if colon < 0 {
				continue
			}
			off, perr := strconv.ParseInt(strings.TrimSpace(string(body[:colon])), 16, 64)
			if perr != nil {
				continue
			}
			for ; pos < off; pos++ {
				out.WriteByte(0)
			}
			body = body[colon+1:]
			if i := bytes.Index(body, []byte("  ")); i >= 0 {
				body = body[:i]
			}
			pending = -1
		}
		for _, c := range body {
			v := strings.IndexByte("0123456789abcdef", c|0x20)
			if c >= 'G' && c <= 'Z' || v < 0 {
				if !plain && c != ' ' {
					break
				}
				continue
			}
			if pending < 0 {
				pending = v
				continue
			}
			out.WriteByte(byte(pending<<4 | v))
			pending = -1
			pos++
		}
	}
}
