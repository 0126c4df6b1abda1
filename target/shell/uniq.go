package shell

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/vlab-sim/vlab/target/vfs"
)

var uniqSpec = optSpec{short: "cdDf:is:uw:z", usage: "[OPTION]... [INPUT [OUTPUT]]", long: map[string]string{
	"count": "c", "repeated": "d", "all-repeated": "D", "skip-fields": "f:", "ignore-case": "i",
	"skip-chars": "s:", "unique": "u", "check-chars": "w:",
}}

// cmdUniq collapses adjacent equal lines.
func cmdUniq(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := uniqSpec.parse(o, "uniq", args[1:])
	if !ok {
		return st
	}
	count, repeated, unique, fold, all := false, false, false, false, false
	skipFields, skipChars, check := 0, 0, -1
	for _, op := range opts {
		var err error
		switch op.key {
		case "c":
			count = true
		case "d":
			repeated = true
		case "D":
			all, repeated = true, true
		case "u":
			unique = true
		case "i":
			fold = true
		case "f":
			if skipFields, err = strconv.Atoi(op.val); err != nil || skipFields < 0 {
				o.Errorf("uniq", "%s: invalid number of fields to skip", op.val)
				return 1
			}
		case "s":
			if skipChars, err = strconv.Atoi(op.val); err != nil || skipChars < 0 {
				o.Errorf("uniq", "%s: invalid number of bytes to skip", op.val)
				return 1
			}
		case "w":
			if check, err = strconv.Atoi(op.val); err != nil || check < 0 {
				o.Errorf("uniq", "%s: invalid number of bytes to compare", op.val)
				return 1
			}
		}
	}
	if len(files) > 2 {
		return usageError(o, "uniq", 1, "extra operand %s", quote(files[2]))
	}
	if all && count {
		o.Errorf("uniq", "printing all duplicated lines and repeat counts is meaningless")
		return usageError(o, "uniq", 1, "")
	}
	inName := "-"
	if len(files) > 0 {
		inName = files[0]
	}
	in := newInputs(ctx, o)
	defer in.close()
	r, closeFile, err := in.open(inName)
	if err != nil {
		o.Errorf("uniq", "%s: %s", quotef(inName), strerror(err))
		return 1
	}
	defer closeFile()
	var w io.Writer = o.Stdout
	if len(files) == 2 && files[1] != "-" {
		f, err := o.FS.OpenFile(o.Path(files[1]), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, fileMode)
		if err != nil {
			o.Errorf("uniq", "%s: %s", quotef(files[1]), strerror(err))
			return 1
		}
		defer f.Close()
		w = f
	}
	out := bufio.NewWriterSize(w, bufSize)
	key := func(line []byte) []byte {
		for f := 0; f < skipFields; f++ {
			i := 0
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				i++
			}
			line = line[i:]
		}
		line = line[min(skipChars, len(line)):]
		if check >= 0 && check < len(line) {
			line = line[:check]
		}
		return line
	}
	same := func(a, b []byte) bool {
		if fold {
			return bytes.EqualFold(key(a), key(b))
		}
		return bytes.Equal(key(a), key(b))
	}
	var prev []byte
	n := 0
	flush := func() {
		if n == 0 || repeated && n < 2 || unique && n > 1 || all {
			return
		}
		if count {
			fmt.Fprintf(out, "%7d ", n)
		}
		out.Write(prev)
		out.WriteByte('\n')
	}
	lr := newLineReader(r, out)
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readFailed(ctx, o, "uniq", inName, err)
		}
		body, _ := chomp(line)
		if n > 0 && same(prev, body) {
			n++
			if all {
				if n == 2 {
					out.Write(prev)
					out.WriteByte('\n')
				}
				out.Write(body)
				out.WriteByte('\n')
			}
			continue
		}
		flush()
		prev, n = append(prev[:0], body...), 1
	}
	flush()
	if err := out.Flush(); err != nil {
		return writeFailed(o, "uniq", err)
	}
	return 0
}
