package shell

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-sim/vlab/target/vfs"
)

var touchSpec = optSpec{short: "acd:fmr:t:h", usage: "[OPTION]... FILE...", long: map[string]string{
	"no-create": "c", "date": "d:", "reference": "r:", "no-dereference": "h", "time": "time:",
}}

// cmdTouch creates files, or sets their times to now (or -d, -t, -r's).
func cmdTouch(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := touchSpec.parse(o, "touch", args[1:])
	if !ok {
		return st
	}
	now := o.Shell.Sys.Now()
	when := now
	noCreate := false
	for _, op := range opts {
		switch op.key {
		case "c":
			noCreate = true
		case "d":
			t, ok := parseDate(op.val, now)
			if !ok {
				o.Errorf("touch", "invalid date format %s", quote(op.val))
				return 1
			}
			when = t
		case "t":
			t, ok := parseTouchStamp(op.val, now)
			if !ok {
				o.Errorf("touch", "invalid date format %s", quote(op.val))
				return 1
			}
			when = t
		case "r":
			fi, err := statName(o, op.val)
			if err != nil {
				o.Errorf("touch", "failed to get attributes of %s: %s", quoteaf(op.val), strerror(err))
				return 1
			}
			when = fi.ModTime()
		}
	}
	if len(files) == 0 {
		return usageError(o, "touch", 1, "missing file operand")
	}
	status := 0
	for _, name := range files {
		p := o.Path(name)
		_, err := statName(o, name)
		if errors.Is(err, fs.ErrNotExist) {
			if noCreate {
				continue
			}
			var f *vfs.File
			if f, err = o.FS.OpenFile(p, vfs.O_WRONLY|vfs.O_CREATE, fileMode); err == nil {
				f.Close()
			}
		}
		if err == nil {
			err = o.FS.Chtimes(p, when)
		}
		if err != nil {
			o.Errorf("touch", "cannot touch %s: %s", quoteaf(name), strerror(err))
			status = 1
		}
	}
	return status
}

// parseTouchStamp parses touch -t's [[CC]YY]MMDDhhmm[.ss].
func parseTouchStamp(s string, now time.Time) (time.Time, bool) {
	main, secs, _ := strings.Cut(s, ".")
	if strings.Trim(main, "0123456789") != "" || strings.Trim(secs, "0123456789") != "" {
		return time.Time{}, false
	}
	year := now.Year()
	switch len(main) {
	case 8:
	case 10:
		yy, _ := strconv.Atoi(main[:2])
		year = 1900 + yy
		if yy < 69 {
			year = 2000 + yy
		}
		main = main[2:]
	case 12:
		year, _ = strconv.Atoi(main[:4])
		main = main[4:]
	default:
		return time.Time{}, false
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	sec := 0
	if secs != "" {
		sec = n(secs)
	}
	t := time.Date(year, time.Month(n(main[:2])), n(main[2:4]), n(main[4:6]), n(main[6:8]), sec, 0, time.UTC)
	if t.Month() != time.Month(n(main[:2])) {
		return time.Time{}, false
	}
	return t, true
}
