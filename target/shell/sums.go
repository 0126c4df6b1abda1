package shell

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"strings"
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
