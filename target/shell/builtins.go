package shell

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

func builtins() map[string]Command {
	return map[string]Command{
		"true":     func(context.Context, IO, []string) int { return 0 },
		"false":    func(context.Context, IO, []string) int { return 1 },
		":":        func(context.Context, IO, []string) int { return 0 },
		"exit":     cmdExit,
		"logout":   cmdExit,
		"echo":     cmdEcho,
		"hostname": cmdHostname,
		"whoami":   func(_ context.Context, o IO, _ []string) int { fmt.Fprintln(o.Stdout, o.Shell.Env["USER"]); return 0 },
		"pwd":      func(_ context.Context, o IO, _ []string) int { fmt.Fprintln(o.Stdout, o.Shell.Env["PWD"]); return 0 },
		"id":       cmdID,
		"uname":    cmdUname,
		"env":      cmdEnv,
		"export":   cmdExport,
		"sudo":     cmdSudo,
		"ss":       cmdSS,
		"ip":       cmdIP,
		"cat":      cmdCat,
		"head":     cmdHead,
		"grep":     cmdGrep,
		"wc":       cmdWc,
		"help":     cmdHelp,
	}
}

func cmdExit(_ context.Context, o IO, args []string) int {
	st := o.Shell.status
	if len(args) > 1 {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			fmt.Fprintf(o.Stderr, "-bash: exit: %s: numeric argument required\n", args[1])
			n = 2
		}
		st = n & 0xff
	}
	o.Shell.Exited = true
	return st
}

func cmdEcho(_ context.Context, o IO, args []string) int {
	nl := true
	args = args[1:]
	for len(args) > 0 && args[0] == "-n" {
		nl = false
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if nl {
		s += "\n"
	}
	io.WriteString(o.Stdout, s)
	return 0
}

func cmdHostname(_ context.Context, o IO, args []string) int {
	if len(args) > 1 && (args[1] == "-I" || args[1] == "-i") {
		var addrs []string
		for _, i := range o.Shell.Sys.Interfaces() {
			addrs = append(addrs, i.Addr.Addr().String())
		}
		fmt.Fprintln(o.Stdout, strings.Join(addrs, " ")+" ")
		return 0
	}
	fmt.Fprintln(o.Stdout, o.Shell.Sys.Hostname())
	return 0
}

func cmdID(_ context.Context, o IO, _ []string) int {
	u := o.Shell.Env["USER"]
	fmt.Fprintf(o.Stdout, "uid=1000(%s) gid=1000(%s) groups=1000(%s),4(adm),10(wheel),190(systemd-journal)\n", u, u, u)
	return 0
}

func cmdUname(_ context.Context, o IO, args []string) int {
	if len(args) > 1 && (args[1] == "-a" || args[1] == "-n") {
		if args[1] == "-n" {
			fmt.Fprintln(o.Stdout, o.Shell.Sys.Hostname())
			return 0
		}
		fmt.Fprintf(o.Stdout, "Linux %s 6.1.0-vlab #1 SMP x86_64 x86_64 x86_64 GNU/Linux\n", o.Shell.Sys.Hostname())
		return 0
	}
	fmt.Fprintln(o.Stdout, "Linux")
	return 0
}

func cmdEnv(_ context.Context, o IO, _ []string) int {
	keys := make([]string, 0, len(o.Shell.Env))
	for k := range o.Shell.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(o.Stdout, "%s=%s\n", k, o.Shell.Env[k])
	}
	return 0
}

func cmdExport(_ context.Context, o IO, args []string) int {
	for _, a := range args[1:] {
		if name, value, ok := assignment(a); ok {
			o.Shell.Env[name] = value
		}
	}
	return 0
}

// cmdSudo runs its arguments as a command: the instance's ec2-user may sudo
// without a password, as on Amazon Linux.
func cmdSudo(ctx context.Context, o IO, args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(o.Stderr, "usage: sudo command [arg ...]")
		return 1
	}
	c, ok := o.Shell.commands[args[1]]
	if !ok {
		fmt.Fprintf(o.Stderr, "sudo: %s: command not found\n", args[1])
		return 1
	}
	return c(ctx, o, args[1:])
}

func cmdCat(ctx context.Context, o IO, args []string) int {
	if len(args) > 1 {
		for _, f := range args[1:] {
			fmt.Fprintf(o.Stderr, "cat: %s: No such file or directory\n", f)
		}
		return 1
	}
	copyLines(ctx, o.Stdout, o.Stdin, func(string) bool { return true })
	return 0
}

func cmdHead(ctx context.Context, o IO, args []string) int {
	n := 10
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-n" && i+1 < len(args):
			n, _ = strconv.Atoi(args[i+1])
			i++
		case strings.HasPrefix(a, "-n"):
			n, _ = strconv.Atoi(a[2:])
		case strings.HasPrefix(a, "-") && len(a) > 1:
			v, err := strconv.Atoi(a[1:])
			if err != nil {
				fmt.Fprintf(o.Stderr, "head: invalid option -- '%s'\n", a[1:])
				return 1
			}
			n = v
		}
	}
	// head stops reading after n lines, so that the writer of its pipe
	// (tcpdump) finds the pipe closed and stops too.
	if o.Stdin == nil {
		return 0
	}
	sc := bufio.NewScanner(o.Stdin)
	for ; n > 0 && ctx.Err() == nil && sc.Scan(); n-- {
		fmt.Fprintln(o.Stdout, sc.Text())
	}
	return 0
}

func cmdGrep(ctx context.Context, o IO, args []string) int {
	invert, fold, count := false, false, false
	var pat []string
	for _, a := range args[1:] {
		switch a {
		case "-v":
			invert = true
		case "-i":
			fold = true
		case "-c":
			count = true
		default:
			pat = append(pat, a)
		}
	}
	if len(pat) != 1 {
		fmt.Fprintln(o.Stderr, "Usage: grep [-v] [-i] [-c] PATTERN (reads standard input; fixed strings only)")
		return 2
	}
	out, n := o.Stdout, 0
	if count {
		out = io.Discard
	}
	p := pat[0]
	if fold {
		p = strings.ToLower(p)
	}
	copyLines(ctx, out, o.Stdin, func(l string) bool {
		if fold {
			l = strings.ToLower(l)
		}
		m := strings.Contains(l, p) != invert
		if m {
			n++
		}
		return m
	})
	if count {
		fmt.Fprintln(o.Stdout, n)
	}
	if n == 0 {
		return 1
	}
	return 0
}

func cmdWc(ctx context.Context, o IO, args []string) int {
	lines := 0
	copyLines(ctx, io.Discard, o.Stdin, func(string) bool { lines++; return false })
	fmt.Fprintln(o.Stdout, lines)
	return 0
}

// copyLines copies the lines of r that keep accepts to w, until keep has
// refused every remaining line it will ever accept (head) or r ends.
func copyLines(ctx context.Context, w io.Writer, r io.Reader, keep func(string) bool) {
	if r == nil {
		return
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() && ctx.Err() == nil {
		if keep(sc.Text()) {
			fmt.Fprintln(w, sc.Text())
		}
	}
}

func cmdHelp(_ context.Context, o IO, _ []string) int {
	fmt.Fprintln(o.Stdout, "vlab instance shell: a simulated host, not this machine. Commands:")
	fmt.Fprintln(o.Stdout, "  "+strings.Join(o.Shell.Commands(), " "))
	fmt.Fprintln(o.Stdout, "Quotes, $VAR, ${VAR}, $?, ;, &&, || and | work as in bash.")
	return 0
}
