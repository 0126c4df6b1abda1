package shell

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

var statSpec = optSpec{short: "c:fLt", usage: "[OPTION]... FILE...", long: map[string]string{
	"format": "c:", "printf": "printf:", "dereference": "L", "terse": "t", "file-system": "f",
}}

// cmdStat describes files in stat's default layout, or with -c FORMAT.
func cmdStat(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := statSpec.parse(o, "stat", args[1:])
	if !ok {
		return st
	}
	format, printf, terse := "", false, false
	for _, op := range opts {
		switch op.key {
		case "c":
			format, printf = op.val+"\n", false
		case "printf":
			format, printf = op.val, true
		case "t":
			terse = true
		case "f":
			o.Errorf("stat", "-f is not supported on this simulated instance")
			return 1
		}
	}
	if len(files) == 0 {
		return usageError(o, "stat", 1, "missing operand")
	}
	if format == "" {
		format = "  File: %n\n  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\nDevice: %Dh/%dd\tInode: %-10i  Links: %h\nAccess: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\nAccess: %x\nModify: %y\nChange: %z\n Birth: %w\n"
		if terse {
			format = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n"
		}
	}
	status := 0
	for _, name := range files {
		fi, err := statName(o, name)
		if err != nil {
			o.Errorf("stat", "cannot stat %s: %s", quoteaf(name), strerror(err))
			status = 1
			continue
		}
		io.WriteString(o.Stdout, statFormat(format, printf, name, o.Path(name), fi))
	}
	return status
}

// statFormat expands stat's % directives for one file.
func statFormat(format string, escapes bool, name, p string, fi fs.FileInfo) string {
	var b strings.Builder
	ow := owner(fi)
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '\\' && escapes && i+1 < len(format) {
			i++
			switch format[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\':
				b.WriteByte('\\')
			default:
				b.WriteByte('\\')
				b.WriteByte(format[i])
			}
			continue
		}
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-#0+ .0123456789", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			b.WriteString(format[i:])
			break
		}
		flags := format[i+1 : j]
		i = j
		var v any
		isNum := true
		switch format[j] {
		case '%':
			b.WriteByte('%')
			continue
		case 'n':
			v, isNum = name, false
		case 'N':
			v, isNum = quoteaf(name), false
		case 's':
			v = fi.Size()
		case 'b':
			v = blocksOf(fi) * 2
		case 'B':
			v = 512
		case 'o':
			v = 4096
		case 'f':
			v, isNum = fmt.Sprintf("%x", unixMode(fi.Mode())), false
		case 'a':
			v, isNum = fmt.Sprintf("%o", unixMode(fi.Mode())&0o7777), false
			if strings.HasPrefix(flags, "0") {
				w, _ := strconv.Atoi(flags)
				v, flags = fmt.Sprintf("%0*o", w, unixMode(fi.Mode())&0o7777), ""
			}
		case 'A':
			v, isNum = modeString(fi.Mode()), false
		case 'F':
			v, isNum = fileKind(fi), false
		case 'u':
			v = ow.UID
		case 'U':
			v, isNum = ownerName(ow.UID), false
		case 'g':
			v = ow.GID
		case 'G':
			v, isNum = ownerName(ow.GID), false
		case 'h':
			v = ow.Nlink
		case 'i':
			v = ow.Ino
		case 'd':
			v = 66305
		case 'D':
			v, isNum = "10301", false
		case 't', 'T':
			v, isNum = "0", false
			if fi.Mode()&fs.ModeDevice != 0 {
				maj, min, _ := strings.Cut(deviceNumbers(p), ", ")
				v = maj
				if format[j] == 'T' {
					v = min
				}
			}
		case 'x', 'y', 'z':
			v, isNum = fi.ModTime().UTC().Format("2006-01-02 15:04:05.000000000 -0700"), false
		case 'X', 'Y', 'Z':
			v = fi.ModTime().Unix()
		case 'w':
			v, isNum = "-", false
		case 'W':
			v = 0
		default:
			b.WriteByte('?')
			continue
		}
		verb := "s"
		if isNum {
			verb = "d"
		}
		fmt.Fprintf(&b, "%"+flags+verb, v)
	}
	return b.String()
}

// unixMode is a FileMode as st_mode's bits.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	switch {
	case m.IsDir():
		u |= 0o040000
	case m&fs.ModeCharDevice != 0:
		u |= 0o020000
	case m&fs.ModeDevice != 0:
		u |= 0o060000
	default:
		u |= 0o100000
	}
	return u
}
