package shell

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/target/vfs"
)

var sumSpec = optSpec{short: "bctwz", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"binary": "b", "check": "c", "text": "t", "warn": "w", "quiet": "quiet", "status": "status",
	"ignore-missing": "ignore-missing", "strict": "strict", "tag": "tag", "zero": "z",
}}

// sumAlgos are the digests the *sum commands compute, with the name --tag
// and BSD-style lines use.
var sumAlgos = map[string]struct {
	tag string
	new func() hash.Hash
}{
	"md5sum":    {"MD5", md5.New},
	"sha1sum":   {"SHA1", sha1.New},
	"sha256sum": {"SHA256", sha256.New},
	"sha512sum": {"SHA512", sha512.New},
}

// cmdSum prints (or with -c checks) the digests of files: md5sum,
// sha1sum, sha256sum, sha512sum.
func cmdSum(ctx context.Context, o IO, args []string) int {
	name := args[0]
	algo := sumAlgos[name]
	opts, files, st, ok := sumSpec.parse(o, name, args[1:])
	if !ok {
		return st
	}
	check, tag, binary := false, false, false
	quiet, silent, ignoreMissing, strict, warn := false, false, false, false, false
	for _, op := range opts {
		switch op.key {
		case "c":
			check = true
		case "tag":
			tag = true
		case "b":
			binary = true
		case "t":
			binary = false
		case "quiet":
			quiet = true
		case "status":
			silent = true
		case "ignore-missing":
			ignoreMissing = true
		case "strict":
			strict = true
		case "w":
			warn = true
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	in := newInputs(ctx, o)
	defer in.close()
	digest := func(file string) (string, error) {
		r, closeFile, err := in.open(file)
		if err != nil {
			return "", err
		}
		defer closeFile()
		h := algo.new()
		if _, err := io.CopyBuffer(h, r, make([]byte, bufSize)); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	if !check {
		for _, file := range files {
			sum, err := digest(file)
			if err != nil {
				if interrupted(ctx, err) {
					return statusInterrupted
				}
				o.Errorf(name, "%s: %s", quotef(file), strerror(err))
				status = 1
				continue
			}
			escaped, esc := sumEscape(file)
			if esc {
				out.WriteByte('\\')
			}
			switch {
			case tag:
				fmt.Fprintf(out, "%s (%s) = %s\n", algo.tag, escaped, sum)
			case binary:
				fmt.Fprintf(out, "%s *%s\n", sum, escaped)
			default:
				fmt.Fprintf(out, "%s  %s\n", sum, escaped)
			}
		}
		if err := out.Flush(); err != nil {
			return writeFailed(o, name, err)
		}
		return status
	}
	for _, list := range files {
		r, closeFile, err := in.open(list)
		if err != nil {
			o.Errorf(name, "%s: %s", quotef(list), strerror(err))
			status = 1
			continue
		}
		listName := list
		if list == "-" {
			listName = "standard input"
		}
		var bad, failed, unread, okCount, lineNo int
		lr := newLineReader(r, out)
		for {
			line, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				closeFile()
				return readFailed(ctx, o, name, list, err)
			}
			lineNo++
			body, _ := chomp(line)
			want, file, ok := parseSumLine(string(body), algo.tag, algo.new().Size()*2)
			if !ok {
				bad++
				if warn {
					o.Errorf(name, "%s: %d: improperly formatted %s checksum line", listName, lineNo, algo.tag)
				}
				continue
			}
			got, err := digest(file)
			if err != nil {
				if interrupted(ctx, err) {
					closeFile()
					return statusInterrupted
				}
				if ignoreMissing && errors.Is(err, fs.ErrNotExist) {
					continue
				}
				o.Errorf(name, "%s: %s", quotef(file), strerror(err))
				unread++
				if !silent {
					fmt.Fprintf(out, "%s: FAILED open or read\n", file)
				}
				continue
			}
			if !strings.EqualFold(got, want) {
				failed++
				if !silent {
					fmt.Fprintf(out, "%s: FAILED\n", file)
				}
				continue
			}
			okCount++
			if !silent && !quiet {
				fmt.Fprintf(out, "%s: OK\n", file)
			}
		}
		closeFile()
		if err := out.Flush(); err != nil {
			return writeFailed(o, name, err)
		}
		switch {
		case okCount+failed+unread == 0 && (!ignoreMissing || bad > 0 || lineNo == 0):
			o.Errorf(name, "%s: no properly formatted %s checksum lines found", listName, algo.tag)
			status = 1
			continue
		case okCount+failed+unread == 0 && ignoreMissing:
			o.Errorf(name, "%s: no file was verified", listName)
			status = 1
			continue
		}
		if !silent {
			if bad > 0 {
				o.Errorf(name, "WARNING: %d line%s improperly formatted", bad, plural2(bad, " is", "s are"))
			}
			if unread > 0 {
				o.Errorf(name, "WARNING: %d listed file%s could not be read", unread, plural(unread))
			}
			if failed > 0 {
				o.Errorf(name, "WARNING: %d computed checksum%s did NOT match", failed, plural(failed))
			}
		}
		if failed > 0 || unread > 0 || strict && bad > 0 {
			status = 1
		}
	}
	return status
}

func plural2(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sumEscape escapes a name with a backslash or newline as the *sum
// commands do, telling whether the line needs its leading backslash.
func sumEscape(name string) (string, bool) {
	if !strings.ContainsAny(name, "\\\n") {
		return name, false
	}
	return strings.NewReplacer("\\", "\\\\", "\n", "\\n").Replace(name), true
}

// parseSumLine reads a line of a checksum list: "HASH  NAME", "HASH *NAME"
// or the BSD form "TAG (NAME) = HASH".
func parseSumLine(line, tag string, hexLen int) (sum, name string, ok bool) {
	esc := strings.HasPrefix(line, "\\")
	if esc {
		line = line[1:]
	}
	unescape := func(s string) string {
		if !esc {
			return s
		}
		return strings.NewReplacer("\\\\", "\\", "\\n", "\n").Replace(s)
	}
	if rest, found := strings.CutPrefix(line, tag+" ("); found {
		i := strings.LastIndex(rest, ") = ")
		if i < 0 || len(rest)-i-4 != hexLen {
			return "", "", false
		}
		return rest[i+4:], unescape(rest[:i]), true
	}
	if len(line) < hexLen+2 || line[hexLen] != ' ' || (line[hexLen+1] != ' ' && line[hexLen+1] != '*') {
		return "", "", false
	}
	sum = line[:hexLen]
	if _, err := hex.DecodeString(sum); err != nil {
		return "", "", false
	}
	return sum, unescape(line[hexLen+2:]), line[hexLen+2:] != ""
}

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
