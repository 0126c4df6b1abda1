package shell

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var cutSpec = optSpec{short: "b:c:d:f:nsz", usage: "OPTION... [FILE]...", long: map[string]string{
	"bytes": "b:", "characters": "c:", "delimiter": "d:", "fields": "f:", "only-delimited": "s",
	"complement": "complement", "output-delimiter": "output-delimiter:",
}}

// cutRange is a closed range of positions from 1; hi 0 means to the end.
type cutRange struct{ lo, hi int }

// cmdCut prints selected fields (or bytes) of each line.
func cmdCut(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := cutSpec.parse(o, "cut", args[1:])
	if !ok {
		return st
	}
	var list string
	mode := byte(0)
	delim, outDelim, haveDelim, haveOut := byte('\t'), "", false, false
	onlyDelimited, complement := false, false
	for _, op := range opts {
		switch op.key {
		case "b", "c", "f":
			if mode != 0 {
				return usageError(o, "cut", 1, "only one type of list may be specified")
			}
			mode, list = op.key[0], op.val
		case "d":
			if len(op.val) > 1 {
				return usageError(o, "cut", 1, "the delimiter must be a single character")
			}
			delim, haveDelim = 0, true
			if op.val != "" {
				delim = op.val[0]
			}
		case "s":
			onlyDelimited = true
		case "complement":
			complement = true
		case "output-delimiter":
			outDelim, haveOut = op.val, true
		}
	}
	if mode == 0 {
		return usageError(o, "cut", 1, "you must specify a list of bytes, characters, or fields")
	}
	if mode != 'f' && haveDelim {
		return usageError(o, "cut", 1, "an input delimiter may be specified only when operating on fields")
	}
	if mode != 'f' && onlyDelimited {
		return usageError(o, "cut", 1, "suppressing non-delimited lines makes sense\n\tonly when operating on fields")
	}
	ranges, msg := parseCutList(list, mode)
	if msg != "" {
		return usageError(o, "cut", 1, "%s", msg)
	}
	if !haveOut {
		outDelim = string(delim)
		if mode != 'f' {
			outDelim = ""
		}
	}
	selected := func(i int) bool {
		for _, r := range ranges {
			if i >= r.lo && (r.hi == 0 || i <= r.hi) {
				return !complement
			}
		}
		return complement
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	in := newInputs(ctx, o)
	defer in.close()
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	for _, name := range files {
		r, closeFile, err := in.open(name)
		if err != nil {
			o.Errorf("cut", "%s: %s", quotef(name), strerror(err))
			status = 1
			continue
		}
		lr := newLineReader(r, out)
		for {
			line, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				closeFile()
				if st := readFailed(ctx, o, "cut", name, err); st != 1 {
					return st
				}
				status = 1
				break
			}
			body, _ := chomp(line)
			if mode != 'f' {
				first := true
				for i := range body {
					if selected(i + 1) {
						if !first && haveOut && !selected(i) {
							out.WriteString(outDelim)
						}
						out.WriteByte(body[i])
						first = false
					}
				}
				out.WriteByte('\n')
				continue
			}
			if bytes.IndexByte(body, delim) < 0 {
				if !onlyDelimited {
					out.Write(body)
					out.WriteByte('\n')
				}
				continue
			}
			first := true
			for i, f := range bytes.Split(body, []byte{delim}) {
				if selected(i + 1) {
					if !first {
						out.WriteString(outDelim)
					}
					out.Write(f)
					first = false
				}
			}
			out.WriteByte('\n')
		}
		closeFile()
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "cut", err)
	}
	return status
}

// parseCutList parses a LIST (1,3-5,7-), or returns GNU's complaint.
func parseCutList(list string, mode byte) ([]cutRange, string) {
	what := "field"
	if mode != 'f' {
		what = "byte/character position"
	}
	var out []cutRange
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		num := func(s string, dflt int) (int, string) {
			if s == "" {
				return dflt, ""
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				return 0, fmt.Sprintf("invalid %s value %s", what, quote(part))
			}
			if n == 0 {
				if mode == 'f' {
					return 0, "fields are numbered from 1"
				}
				return 0, "byte/character positions are numbered from 1"
			}
			return n, ""
		}
		if part == "" || part == "-" {
			return nil, "invalid range with no endpoint: -"
		}
		a, msg := num(lo, 1)
		if msg != "" {
			return nil, msg
		}
		b := a
		if isRange {
			if b, msg = num(hi, 0); msg != "" {
				return nil, msg
			}
			if b != 0 && b < a {
				return nil, "invalid decreasing range"
			}
		}
		out = append(out, cutRange{a, b})
	}
	return out, ""
}
