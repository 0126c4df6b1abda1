package shell

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

var dateSpec = optSpec{short: "d:I::r:Rs:u", usage: "[OPTION]... [+FORMAT]", long: map[string]string{
	"date": "d:", "iso-8601": "I::", "reference": "r:", "rfc-2822": "R", "rfc-email": "R",
	"rfc-3339": "rfc-3339:", "set": "s:", "utc": "u", "universal": "u",
}}

// cmdDate prints the lab clock's time (the instance's zone is UTC), or
// -d's, in date's default format or +FORMAT's.
func cmdDate(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := dateSpec.parse(o, "date", args[1:])
	if !ok {
		return st
	}
	now := o.Shell.Sys.Now().UTC()
	t := now
	format := "%a %b %e %H:%M:%S %Z %Y"
	for _, op := range opts {
		switch op.key {
		case "d":
			d, ok := parseDate(op.val, now)
			if !ok {
				o.Errorf("date", "invalid date %s", quote(op.val))
				return 1
			}
			t = d
		case "r":
			fi, err := statName(o, op.val)
			if err != nil {
				o.Errorf("date", "%s: %s", op.val, strerror(err))
				return 1
			}
			t = fi.ModTime().UTC()
		case "R":
			format = "%a, %d %b %Y %H:%M:%S %z"
		case "I":
			switch op.val {
			case "", "date":
				format = "%Y-%m-%d"
			case "hours":
				format = "%Y-%m-%dT%H%:z"
			case "minutes":
				format = "%Y-%m-%dT%H:%M%:z"
			case "seconds":
				format = "%Y-%m-%dT%H:%M:%S%:z"
			case "ns":
				format = "%Y-%m-%dT%H:%M:%S,%N%:z"
			default:
				o.Errorf("date", "invalid argument %s for '--iso-8601'", quote(op.val))
				return 1
			}
		case "rfc-3339":
			switch op.val {
			case "date":
				format = "%Y-%m-%d"
			case "seconds":
				format = "%Y-%m-%d %H:%M:%S%:z"
			case "ns":
				format = "%Y-%m-%d %H:%M:%S.%N%:z"
			default:
				o.Errorf("date", "invalid argument %s for '--rfc-3339'", quote(op.val))
				return 1
			}
		case "s":
			o.Errorf("date", "cannot set date: Operation not permitted")
			return 1
		}
	}
	for i, a := range operands {
		switch {
		case i > 0:
			return usageError(o, "date", 1, "extra operand %s", quote(a))
		case strings.HasPrefix(a, "+"):
			format = a[1:]
		default:
			o.Errorf("date", "cannot set date: Operation not permitted")
			return 1
		}
	}
	if _, err := fmt.Fprintln(o.Stdout, strftime(format, t)); err != nil {
		return writeFailed(o, "date", err)
	}
	return 0
}

// strftime formats t as date's +FORMAT does, with GNU's padding flags
// (-, _, 0, ^, #) and widths.
func strftime(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 >= len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		pad, upper, swap := byte(0), false, false
		for ; i < len(format) && strings.IndexByte("-_0^#", format[i]) >= 0; i++ {
			switch format[i] {
			case '^':
				upper = true
			case '#':
				swap = true
			default:
				pad = format[i]
			}
		}
		width := -1
		for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
			width = max(width, 0)*10 + int(format[i]-'0')
		}
		colons := 0
		for ; i < len(format) && format[i] == ':'; i++ {
			colons++
		}
		if i >= len(format) {
			break
		}
		c := format[i]
		num := func(v, w int, dpad byte) string {
			if pad != 0 {
				dpad = pad
			}
			if width >= 0 {
				w = width
			}
			s := strconv.Itoa(v)
			switch dpad {
			case '-':
				return s
			case '_':
				return strings.Repeat(" ", max(0, w-len(s))) + s
			}
			return strings.Repeat("0", max(0, w-len(s))) + s
		}
		text := func(s string) string {
			if upper {
				s = strings.ToUpper(s)
			}
			if swap {
				if strings.ToUpper(s) == s {
					s = strings.ToLower(s)
				} else {
					s = strings.ToUpper(s)
				}
			}
			if width > len(s) {
				fill := " "
				if pad == '0' {
					fill = "0"
				}
				s = strings.Repeat(fill, width-len(s)) + s
			}
			return s
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		isoYear, isoWeek := t.ISOWeek()
		_, offset := t.Zone()
		switch c {
		case '%':
			b.WriteByte('%')
		case 'a':
			b.WriteString(text(t.Format("Mon")))
		case 'A':
			b.WriteString(text(t.Weekday().String()))
		case 'b', 'h':
			b.WriteString(text(t.Format("Jan")))
		case 'B':
			b.WriteString(text(t.Month().String()))
		case 'c':
			b.WriteString(text(strftime("%a %b %e %H:%M:%S %Y", t)))
		case 'C':
			b.WriteString(num(t.Year()/100, 2, '0'))
		case 'd':
			b.WriteString(num(t.Day(), 2, '0'))
		case 'D':
			b.WriteString(text(strftime("%m/%d/%y", t)))
		case 'e':
			b.WriteString(num(t.Day(), 2, '_'))
		case 'F':
			b.WriteString(text(strftime("%Y-%m-%d", t)))
		case 'g':
			b.WriteString(num(isoYear%100, 2, '0'))
		case 'G':
			b.WriteString(num(isoYear, 4, '0'))
		case 'H':
			b.WriteString(num(t.Hour(), 2, '0'))
		case 'I':
			b.WriteString(num(hour12, 2, '0'))
		case 'j':
			b.WriteString(num(t.YearDay(), 3, '0'))
		case 'k':
			b.WriteString(num(t.Hour(), 2, '_'))
		case 'l':
			b.WriteString(num(hour12, 2, '_'))
		case 'm':
			b.WriteString(num(int(t.Month()), 2, '0'))
		case 'M':
			b.WriteString(num(t.Minute(), 2, '0'))
		case 'n':
			b.WriteByte('\n')
		case 'N':
			ns := fmt.Sprintf("%09d", t.Nanosecond())
			if width > 0 && width < 9 {
				ns = ns[:width]
			}
			b.WriteString(ns)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString(text("AM"))
			} else {
				b.WriteString(text("PM"))
			}
		case 'P':
			if t.Hour() < 12 {
				b.WriteString("am")
			} else {
				b.WriteString("pm")
			}
		case 'r':
			b.WriteString(text(strftime("%I:%M:%S %p", t)))
		case 'R':
			b.WriteString(text(strftime("%H:%M", t)))
		case 's':
			b.WriteString(text(strconv.FormatInt(t.Unix(), 10)))
		case 'S':
			b.WriteString(num(t.Second(), 2, '0'))
		case 't':
			b.WriteByte('\t')
		case 'T':
			b.WriteString(text(strftime("%H:%M:%S", t)))
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(num(wd, 1, '0'))
		case 'U':
			b.WriteString(num((t.YearDay()+6-int(t.Weekday()))/7, 2, '0'))
		case 'V':
			b.WriteString(num(isoWeek, 2, '0'))
		case 'w':
			b.WriteString(num(int(t.Weekday()), 1, '0'))
		case 'W':
			b.WriteString(num((t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2, '0'))
		case 'x':
			b.WriteString(text(strftime("%m/%d/%y", t)))
		case 'X':
			b.WriteString(text(strftime("%H:%M:%S", t)))
		case 'y':
			b.WriteString(num(t.Year()%100, 2, '0'))
		case 'Y':
			b.WriteString(num(t.Year(), 4, '0'))
		case 'z':
			sign := byte('+')
			if offset < 0 {
				sign, offset = '-', -offset
			}
			h, m, s := offset/3600, offset/60%60, offset%60
			switch colons {
			case 0:
				fmt.Fprintf(&b, "%c%02d%02d", sign, h, m)
			case 1:
				fmt.Fprintf(&b, "%c%02d:%02d", sign, h, m)
			default:
				fmt.Fprintf(&b, "%c%02d:%02d:%02d", sign, h, m, s)
			}
		case 'Z':
			name, _ := t.Zone()
			b.WriteString(text(name))
		default:
			b.WriteByte('%')
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dateLayouts are the absolute dates -d reads, in Go's notation.
var dateLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
	"01/02/2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon Jan _2 15:04:05 2006",
	"Mon, 02 Jan 2006 15:04:05 -0700",
	"Mon, 02 Jan 2006 15:04:05 MST",
	"02 Jan 2006 15:04:05",
	"02 Jan 2006",
	"Jan _2 2006 15:04:05",
	"Jan _2 2006",
	"January _2 2006",
	"15:04:05",
	"15:04",
}

// parseDate reads the dates people give date -d and touch -d: @EPOCH,
// now, today, yesterday, tomorrow, ISO and date's own formats, and
// relative items (2 days ago, +3 hours, next week) after them.
func parseDate(s string, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "@") {
		f, err := strconv.ParseFloat(s[1:], 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	if s == "" {
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
	}
	words := strings.Fields(s)
	t := now
	rest := words
	for n := len(words); n > 0; n-- {
		prefix := strings.Join(words[:n], " ")
		prefix = strings.TrimSuffix(strings.TrimSuffix(prefix, " UTC"), " GMT")
		if p, ok := absoluteDate(prefix, now); ok {
			t, rest = p, words[n:]
			if len(rest) > 0 && (strings.EqualFold(rest[0], "UTC") || strings.EqualFold(rest[0], "GMT")) {
				rest = rest[1:]
			}
			break
		}
	}
	for i := 0; i < len(rest); i++ {
		w := strings.ToLower(rest[i])
		switch w {
		case "now", "today":
			continue
		case "yesterday":
			t = t.AddDate(0, 0, -1)
			continue
		case "tomorrow":
			t = t.AddDate(0, 0, 1)
			continue
		case "ago":
			return time.Time{}, false
		}
		n := 1
		switch w {
		case "next":
		case "last":
			n = -1
		default:
			v, err := strconv.Atoi(w)
			if err != nil {
				// "+3days", "-2hours": the number and the unit in one word.
				j := strings.IndexFunc(w, func(r rune) bool { return (r < '0' || r > '9') && r != '+' && r != '-' })
				if j <= 0 {
					return time.Time{}, false
				}
				if v, err = strconv.Atoi(w[:j]); err != nil {
					return time.Time{}, false
				}
				rest = append(rest[:i+1:i+1], append([]string{w[j:]}, rest[i+1:]...)...)
			}
			n = v
		}
		if i+1 >= len(rest) {
			return time.Time{}, false
		}
		i++
		unit := strings.TrimSuffix(strings.ToLower(rest[i]), "s")
		if i+1 < len(rest) && strings.ToLower(rest[i+1]) == "ago" {
			n = -n
			i++
		}
		switch unit {
		case "sec", "second":
			t = t.Add(time.Duration(n) * time.Second)
		case "min", "minute":
			t = t.Add(time.Duration(n) * time.Minute)
		case "hour":
			t = t.Add(time.Duration(n) * time.Hour)
		case "day":
			t = t.AddDate(0, 0, n)
		case "week":
			t = t.AddDate(0, 0, 7*n)
		case "fortnight":
			t = t.AddDate(0, 0, 14*n)
		case "month":
			t = t.AddDate(0, n, 0)
		case "year":
			t = t.AddDate(n, 0, 0)
		default:
			return time.Time{}, false
		}
	}
	return t.UTC(), true
}

// absoluteDate reads a date and time in one of dateLayouts; a time alone
// is today's.
func absoluteDate(s string, now time.Time) (time.Time, bool) {
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if strings.HasPrefix(layout, "15:") {
			y, m, d := now.Date()
			t = time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
		}
		return t.UTC(), true
	}
	return time.Time{}, false
}
