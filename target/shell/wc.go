package shell

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var wcSpec = optSpec{short: "clLmw", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"bytes": "c", "chars": "m", "lines": "l", "max-line-length": "L", "words": "w",
}}

// wcCounts are one input's counts.
type wcCounts struct {
	lines, words, chars, bytes, maxLen int64
}

// cmdWc counts lines, words and bytes, printed as GNU wc aligns them.
func cmdWc(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := wcSpec.parse(o, "wc", args[1:])
	if !ok {
		return st
	}
	var show [5]bool // lines, words, chars, bytes, max line length
	for _, op := range opts {
		show[strings.Index("lwmcL", op.key)] = true
	}
	if show == [5]bool{} {
		show = [5]bool{true, true, false, true, false}
	}
	shown := 0
	for _, s := range show {
		if s {
			shown++
		}
	}
	names := files
	if len(names) == 0 {
		names = []string{""} // standard input, printed without a name
	}
	width := wcWidth(o, names, shown)
	in := newInputs(ctx, o)
	defer in.close()
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	var total wcCounts
	for _, name := range names {
		src := name
		if src == "" {
			src = "-"
		}
		r, closeFile, err := in.open(src)
		if err != nil {
			o.Errorf("wc", "%s: %s", quotef(name), strerror(err))
			status = 1
			continue
		}
		c, err := wcCount(r)
		closeFile()
		if err != nil {
			if interrupted(ctx, err) {
				return statusInterrupted
			}
			o.Errorf("wc", "%s: %s", quotef(src), strerror(err))
			status = 1
		}
		total.lines += c.lines
		total.words += c.words
		total.chars += c.chars
		total.bytes += c.bytes
		total.maxLen = max(total.maxLen, c.maxLen)
		wcPrint(out, c, show, width, name)
	}
	if len(names) > 1 {
		wcPrint(out, total, show, width, "total")
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "wc", err)
	}
	return status
}

// wcWidth is GNU wc's column width: 1 for a single count of a single
// input; else wide enough for the regular files' total size, and at least
// 7 when an input is not a regular file.
func wcWidth(o IO, names []string, shown int) int {
	if len(names) == 1 && shown == 1 {
		return 1
	}
	var total int64
	minWidth := 1
	for i, name := range names {
		var size int64
		regular := false
		if name != "" && name != "-" {
			// Standard input reaches commands through a pipe, even
			// when redirected from a file.
			fi, err := statName(o, name)
			if err != nil {
				if i == 0 {
					return 1
				}
				continue
			}
			size, regular = fi.Size(), fi.Mode().IsRegular()
		}
		if regular {
			total += size
		} else {
			minWidth = 7
		}
	}
	return max(len(strconv.FormatInt(total, 10)), minWidth)
}

func wcPrint(out *bufio.Writer, c wcCounts, show [5]bool, width int, name string) {
	sep := ""
	for i, v := range []int64{c.lines, c.words, c.chars, c.bytes, c.maxLen} {
		if show[i] {
			fmt.Fprintf(out, "%s%*d", sep, width, v)
			sep = " "
		}
	}
	if name != "" {
		fmt.Fprintf(out, " %s", name)
	}
	out.WriteByte('\n')
}

// wcCount counts r in chunks: a word is a run of bytes other than white
// space; a character is a byte that does not continue a UTF-8 sequence.
func wcCount(r io.Reader) (wcCounts, error) {
	var c wcCounts
	inWord := false
	col := int64(0)
	buf := make([]byte, bufSize)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			switch b {
			case '\n', '\r', '\f':
				if b == '\n' {
					c.lines++
				}
				c.maxLen = max(c.maxLen, col)
				col = 0
				inWord = false
			case ' ', '\v':
				col++
				inWord = false
			case '\t':
				col += 8 - col%8
				inWord = false
			default:
				if !inWord {
					c.words++
					inWord = true
				}
				if b&0xc0 != 0x80 && b >= 0x20 && b != 0x7f {
					col++
				}
			}
			if b&0xc0 != 0x80 {
				c.chars++
			}
		}
		c.bytes += int64(n)
		if err == io.EOF {
			c.maxLen = max(c.maxLen, col)
			return c, nil
		}
		if err != nil {
			return c, err
		}
	}
}
