package shell

import (
	"fmt"
	"sort"
	"strings"
)

// optSpec is a command's options as getopt_long sees them: flags bundle
// (-la), an argument comes attached or as the next word (-n5, -n 5,
// --lines=5, --lines 5), a long option may be shortened to a unique prefix,
// and options may follow operands until "--".
type optSpec struct {
	// short is getopt's optstring: a letter followed by ':' takes an
	// argument, by '::' an optional attached one.
	short string
	// long maps --name to its key: its short letter, or its own name; a
	// key ending in ':' or '::' takes an argument as in short.
	long map[string]string
	// usage is the synopsis --help prints, after "Usage: ".
	usage string
	// version is what --version prints, when not coreutils'.
	version string
	// usageOnError prints the synopsis before "Try …" after a bad
	// option, as grep does.
	usageOnError bool
	// bad is the status of a usage error: 1, or 2 for ls, grep and sort.
	bad int
	// stop, when set, ends the options at an argument it accepts: seq's
	// negative numbers.
	stop func(arg string) bool
}

// opt is one option found: its key and argument.
type opt struct{ key, val string }

// parse splits args (without the command's name) into options and
// operands. When it returns ok false the command ends with status: a usage
// error was reported, or --help or --version printed.
func (s optSpec) parse(o IO, name string, args []string) (opts []opt, operands []string, status int, ok bool) {
	bad := s.bad
	if bad == 0 {
		bad = 1
	}
	usageError := func(o IO, name string, status int, format string, args ...any) int {
		if s.usageOnError {
			o.Errorf(name, format, args...)
			fmt.Fprintf(o.Stderr, "Usage: %s %s\n", name, s.usage)
			return usageError(o, name, status, "")
		}
		return usageError(o, name, status, format, args...)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(operands, args[i+1:]...), 0, true
		case s.stop != nil && s.stop(a):
			return opts, append(operands, args[i:]...), 0, true
		case a == "--help":
			fmt.Fprintf(o.Stdout, "Usage: %s %s\n", name, s.usage)
			fmt.Fprintf(o.Stdout, "(the %s of this simulated instance: its common options behave as GNU's)\n", name)
			return nil, nil, 0, false
		case a == "--version" && s.version != "":
			fmt.Fprintln(o.Stdout, s.version)
			return nil, nil, 0, false
		case a == "--version":
			fmt.Fprintf(o.Stdout, "%s (GNU coreutils) 8.32\n", name)
			return nil, nil, 0, false
		case strings.HasPrefix(a, "--"):
			lname, val, hasVal := strings.Cut(a[2:], "=")
			key, err := s.longKey(lname)
			if err != "" {
				return nil, nil, usageError(o, name, bad, err, a), false
			}
			base := strings.TrimRight(key, ":")
			switch {
			case strings.HasSuffix(key, "::"):
			case strings.HasSuffix(key, ":"):
				if !hasVal {
					if i+1 >= len(args) {
						return nil, nil, usageError(o, name, bad, "option '--%s' requires an argument", s.fullName(lname)), false
					}
					i++
					val = args[i]
				}
			case hasVal:
				return nil, nil, usageError(o, name, bad, "option '--%s' doesn't allow an argument", s.fullName(lname)), false
			}
			opts = append(opts, opt{base, val})
		case strings.HasPrefix(a, "-") && a != "-":
			for j := 1; j < len(a); j++ {
				c := a[j]
				k := strings.IndexByte(s.short, c)
				if k < 0 || c == ':' {
					return nil, nil, usageError(o, name, bad, "invalid option -- '%c'", c), false
				}
				rest := s.short[k+1:]
				switch {
				case strings.HasPrefix(rest, "::"):
					opts = append(opts, opt{string(c), a[j+1:]})
					j = len(a)
				case strings.HasPrefix(rest, ":"):
					val := a[j+1:]
					if val == "" {
						if i+1 >= len(args) {
							return nil, nil, usageError(o, name, bad, "option requires an argument -- '%c'", c), false
						}
						i++
						val = args[i]
					}
					opts = append(opts, opt{string(c), val})
					j = len(a)
				default:
					opts = append(opts, opt{string(c), ""})
				}
			}
		default:
			operands = append(operands, a)
		}
	}
	return opts, operands, 0, true
}

// longKey finds the option a (possibly shortened) long name stands for;
// on failure it returns a message whose %s is the argument.
func (s optSpec) longKey(lname string) (key, msg string) {
	if k, ok := s.long[lname]; ok {
		return k, ""
	}
	var names []string
	keys := map[string]bool{}
	for n, k := range s.long {
		if strings.HasPrefix(n, lname) && lname != "" {
			names = append(names, n)
			keys[k] = true
		}
	}
	switch {
	case len(names) == 0:
		return "", "unrecognized option '%s'"
	case len(keys) > 1:
		sort.Strings(names)
		return "", "option '%s' is ambiguous; possibilities: '--" + strings.Join(names, "' '--") + "'"
	}
	return s.long[names[0]], ""
}

// fullName is the long option a unique prefix stands for.
func (s optSpec) fullName(lname string) string {
	if _, ok := s.long[lname]; ok {
		return lname
	}
	for n := range s.long {
		if strings.HasPrefix(n, lname) {
			return n
		}
	}
	return lname
}
