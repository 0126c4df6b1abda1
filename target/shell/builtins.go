package shell

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// builtins are the instance's commands of this package; the text and file
// utilities register themselves in coreutils.go.
func builtins() map[string]Command {
	m := map[string]Command{
		"hostname": cmdHostname,
		"whoami":   func(_ context.Context, o IO, _ []string) int { fmt.Fprintln(o.Stdout, o.Getenv("USER")); return 0 },
		"id":       cmdID,
		"uname":    cmdUname,
		"env":      cmdEnv,
		"printenv": cmdPrintenv,
		"sudo":     cmdSudo,
		"ss":       cmdSS,
		"netstat":  cmdNetstat,
		"ip":       cmdIP,
		"help":     cmdHelp,
		"history":  cmdHistory,
		"type":     cmdType,
		"which":    cmdWhich,
		"command":  cmdCommand,
		"pwd":      func(_ context.Context, o IO, _ []string) int { fmt.Fprintln(o.Stdout, o.Dir); return 0 },
		"ulimit":   func(_ context.Context, o IO, _ []string) int { fmt.Fprintln(o.Stdout, "unlimited"); return 0 },
		"umask":    func(_ context.Context, o IO, _ []string) int { fmt.Fprintln(o.Stdout, "0002"); return 0 },
		"jobs":     func(context.Context, IO, []string) int { return 0 },
		"clear":    cmdClear,
		"stty":     cmdStty,
		"tput":     cmdTput,
		"ps":       cmdPS,
		"hash":     cmdHash,
		"df":       cmdDf,
		"kill":     cmdKill,
		"uptime":   cmdUptime,
	}
	for k, v := range coreutils() {
		m[k] = v
	}
	return m
}

// shellBuiltins are the interpreter's own builtins, listed by help.
var shellBuiltins = []string{
	".", ":", "[", "alias", "break", "cd", "continue", "declare", "echo", "eval", "exec", "exit",
	"export", "false", "getopts", "local", "logout", "printf", "read", "readonly", "return", "set",
	"shift", "source", "test", "trap", "true", "unalias", "unset", "wait",
}

func cmdHostname(_ context.Context, o IO, args []string) int {
	sys := o.Shell.Sys
	if len(args) > 1 {
		switch args[1] {
		case "-I", "-i":
			var addrs []string
			for _, i := range sys.Interfaces() {
				addrs = append(addrs, i.Addr.Addr().String())
			}
			fmt.Fprintln(o.Stdout, strings.Join(addrs, " ")+" ")
			return 0
		case "-f", "--fqdn", "-A":
			fmt.Fprintln(o.Stdout, sys.Hostname()+"."+sys.Domain())
			return 0
		case "-d", "--domain":
			fmt.Fprintln(o.Stdout, sys.Domain())
			return 0
		case "-s", "--short":
		default:
			o.Errorf("hostname", "you must be root to change the host name")
			return 1
		}
	}
	fmt.Fprintln(o.Stdout, sys.Hostname())
	return 0
}

// users are the accounts id knows, as /etc/passwd and /etc/group have
// them on a fresh instance.
var users = map[string]string{
	"ec2-user": "uid=1000(ec2-user) gid=1000(ec2-user) groups=1000(ec2-user),4(adm),10(wheel),190(systemd-journal)",
	"root":     "uid=0(root) gid=0(root) groups=0(root)",
}

func cmdID(_ context.Context, o IO, args []string) int {
	name := o.Getenv("USER")
	for _, a := range args[1:] {
		switch a {
		case "-u":
			uid := EC2User.UID
			if name == "root" {
				uid = 0
			}
			fmt.Fprintln(o.Stdout, uid)
			return 0
		case "-un", "-nu":
			fmt.Fprintln(o.Stdout, name)
			return 0
		default:
			if strings.HasPrefix(a, "-") {
				o.Errorf("id", "invalid option -- '%s'", strings.TrimLeft(a, "-"))
				return 1
			}
			name = a
		}
	}
	line, ok := users[name]
	if !ok {
		o.Errorf("id", "‘%s’: no such user", name)
		return 1
	}
	fmt.Fprintln(o.Stdout, line)
	return 0
}

func cmdUname(_ context.Context, o IO, args []string) int {
	host := o.Shell.Sys.Hostname()
	rel := o.Shell.Sys.KernelRelease()
	fields := map[byte]string{'s': "Linux", 'n': host, 'r': rel, 'v': "#1 SMP PREEMPT_DYNAMIC", 'm': "x86_64", 'p': "x86_64", 'i': "x86_64", 'o': "GNU/Linux"}
	var want []byte
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			o.Errorf("uname", "extra operand ‘%s’", a)
			return 1
		}
		for i := 1; i < len(a); i++ {
			c := a[i]
			if c == 'a' {
				want = append(want, 's', 'n', 'r', 'v', 'm', 'p', 'i', 'o')
				continue
			}
			if _, ok := fields[c]; !ok {
				o.Errorf("uname", "invalid option -- '%c'", c)
				return 1
			}
			want = append(want, c)
		}
	}
	if len(want) == 0 {
		want = []byte{'s'}
	}
	var out []string
	for _, c := range []byte("snrvmpio") {
		for _, w := range want {
			if w == c {
				out = append(out, fields[c])
				break
			}
		}
	}
	fmt.Fprintln(o.Stdout, strings.Join(out, " "))
	return 0
}

func cmdEnv(ctx context.Context, o IO, args []string) int {
	if len(args) > 1 {
		// env NAME=value command: run the command; assignments are the
		// shell's business here, as bash would pass them.
		i := 1
		for i < len(args) && strings.Contains(args[i], "=") {
			i++
		}
		if i < len(args) {
			return o.Shell.Exec(ctx, o, args[i:])
		}
	}
	for _, kv := range o.Environ() {
		fmt.Fprintln(o.Stdout, kv)
	}
	for _, kv := range args[1:] {
		fmt.Fprintln(o.Stdout, kv)
	}
	return 0
}

func cmdPrintenv(_ context.Context, o IO, args []string) int {
	if len(args) == 1 {
		for _, kv := range o.Environ() {
			fmt.Fprintln(o.Stdout, kv)
		}
		return 0
	}
	st := 0
	for _, name := range args[1:] {
		found := false
		for _, kv := range o.Environ() {
			if k, v, _ := strings.Cut(kv, "="); k == name {
				fmt.Fprintln(o.Stdout, v)
				found = true
			}
		}
		if !found {
			st = 1
		}
	}
	return st
}

// cmdSudo runs its arguments as root: the instance's ec2-user may sudo
// without a password, as on Amazon Linux. sudo -i (and sudo su -) opens a
// root login shell.
func cmdSudo(ctx context.Context, o IO, args []string) int {
	args = args[1:]
	login := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-i", "--login", "-s":
			login = true
		case "-E", "-H", "-n":
		case "--":
			args = args[1:]
			goto run
		default:
			fmt.Fprintf(o.Stderr, "sudo: option %s is not supported on this simulated instance\n", args[0])
			return 1
		}
		args = args[1:]
	}
run:
	if len(args) >= 1 && args[0] == "su" && (len(args) == 1 || args[1] == "-" || args[1] == "-l") {
		login, args = true, nil
	}
	if len(args) == 0 {
		if !login {
			fmt.Fprintln(o.Stderr, "usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABknS] [-g group] [-h host] [-p prompt] [-u user]\nusage: sudo [-ABbEHknPS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i|-s] [<command>]")
			return 1
		}
		if o.Shell.Login == nil {
			fmt.Fprintln(o.Stderr, "sudo: a login shell needs a session of its own here; run sudo COMMAND")
			return 1
		}
		return o.Shell.Login(ctx, Root)
	}
	root := o
	root.FS = o.Shell.FS.As(0, 0)
	root.env = overlay{o.env, map[string]string{"USER": "root", "LOGNAME": "root", "HOME": "/root", "SUDO_USER": o.Getenv("USER")}}
	if login {
		root.Dir = "/root"
	}
	if _, ok := o.Shell.commands[args[0]]; !ok && !isInterpBuiltin(args[0]) {
		fmt.Fprintf(o.Stderr, "sudo: %s: command not found\n", args[0])
		return 1
	}
	return o.Shell.Exec(ctx, root, args)
}

func cmdHelp(_ context.Context, o IO, args []string) int {
	if len(args) > 1 {
		if _, ok := o.Shell.commands[args[1]]; ok {
			fmt.Fprintf(o.Stdout, "%s: a command of this simulated instance; try %s --help\n", args[1], args[1])
			return 0
		}
		fmt.Fprintf(o.Stderr, "-bash: help: no help topics match `%s'.  Try `help help' or `man -k %s' or `info %s'.\n", args[1], args[1], args[1])
		return 1
	}
	fmt.Fprintln(o.Stdout, "This is a simulated instance of vlab: its commands run inside the lab, never on your machine.")
	fmt.Fprintln(o.Stdout, "The shell speaks bash (pipes, redirections, $(...), loops, functions). Commands:")
	names := o.Shell.Commands()
	cols, _ := o.Shell.Size()
	if cols <= 0 {
		cols = 80
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n)+2)
	}
	per := max(1, cols/width)
	for i, n := range names {
		fmt.Fprintf(o.Stdout, "%-*s", width, n)
		if (i+1)%per == 0 || i == len(names)-1 {
			fmt.Fprintln(o.Stdout)
		}
	}
	return 0
}

func cmdHistory(_ context.Context, o IO, args []string) int {
	h := o.Shell.History()
	start := 0
	if len(args) > 1 {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			fmt.Fprintf(o.Stderr, "-bash: history: %s: numeric argument required\n", args[1])
			return 1
		}
		start = max(0, len(h)-n)
	}
	for i := start; i < len(h); i++ {
		fmt.Fprintf(o.Stdout, "%5d  %s\n", i+1, h[i])
	}
	return 0
}

// where says where a command is: its path in /usr/bin for the instance's
// commands, or that it is a shell builtin.
func where(o IO, name string) (path string, builtin bool, ok bool) {
	if isInterpBuiltin(name) || ours[name] && name != "kill" {
		return "", true, true
	}
	if _, ok := o.Shell.commands[name]; ok {
		return "/usr/bin/" + name, false, true
	}
	return "", false, false
}

func isInterpBuiltin(name string) bool {
	i := sort.SearchStrings(shellBuiltins, name)
	return i < len(shellBuiltins) && shellBuiltins[i] == name
}

func cmdType(_ context.Context, o IO, args []string) int {
	st := 0
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		switch path, builtin, ok := where(o, a); {
		case !ok:
			fmt.Fprintf(o.Stderr, "-bash: type: %s: not found\n", a)
			st = 1
		case builtin:
			fmt.Fprintf(o.Stdout, "%s is a shell builtin\n", a)
		default:
			fmt.Fprintf(o.Stdout, "%s is %s\n", a, path)
		}
	}
	return st
}

func cmdWhich(_ context.Context, o IO, args []string) int {
	st := 0
	for _, a := range args[1:] {
		if path, builtin, ok := where(o, a); ok && !builtin {
			fmt.Fprintln(o.Stdout, path)
			continue
		}
		fmt.Fprintf(o.Stderr, "/usr/bin/which: no %s in (%s)\n", a, o.Getenv("PATH"))
		st = 1
	}
	return st
}

func cmdCommand(ctx context.Context, o IO, args []string) int {
	if len(args) > 2 && (args[1] == "-v" || args[1] == "-V") {
		st := 0
		for _, a := range args[2:] {
			switch path, builtin, ok := where(o, a); {
			case !ok:
				st = 1
			case builtin:
				fmt.Fprintln(o.Stdout, a)
			default:
				fmt.Fprintln(o.Stdout, path)
			}
		}
		return st
	}
	if len(args) < 2 {
		return 0
	}
	return o.Shell.Exec(ctx, o, args[1:])
}

func cmdClear(_ context.Context, o IO, _ []string) int {
	fmt.Fprint(o.Stdout, "\x1b[H\x1b[2J\x1b[3J")
	return 0
}

func cmdStty(_ context.Context, o IO, args []string) int {
	cols, rows := o.Shell.Size()
	if len(args) > 1 && args[1] == "size" {
		if o.Shell.TTY == "" {
			o.Errorf("stty", "'standard input': Inappropriate ioctl for device")
			return 1
		}
		fmt.Fprintf(o.Stdout, "%d %d\n", rows, cols)
		return 0
	}
	if len(args) > 1 {
		return 0 // settings are accepted and have no effect
	}
	fmt.Fprintf(o.Stdout, "speed 38400 baud; rows %d; columns %d; line = 0;\n", rows, cols)
	return 0
}

func cmdTput(_ context.Context, o IO, args []string) int {
	cols, rows := o.Shell.Size()
	if len(args) < 2 {
		fmt.Fprintln(o.Stderr, "usage: tput [-V] [-S] [-T term] capname")
		return 2
	}
	switch args[1] {
	case "cols":
		fmt.Fprintln(o.Stdout, cols)
	case "lines":
		fmt.Fprintln(o.Stdout, rows)
	case "clear":
		fmt.Fprint(o.Stdout, "\x1b[H\x1b[2J")
	case "colors":
		fmt.Fprintln(o.Stdout, 8)
	case "sgr0":
		fmt.Fprint(o.Stdout, "\x1b(B\x1b[m")
	case "bold":
		fmt.Fprint(o.Stdout, "\x1b[1m")
	default:
		fmt.Fprintf(o.Stderr, "tput: unknown terminfo capability '%s'\n", args[1])
		return 4
	}
	return 0
}

// cmdHash answers as bash's hash does for the instance's commands (the
// interpreter's would look along the host's PATH).
func cmdHash(_ context.Context, o IO, args []string) int {
	if len(args) == 1 {
		fmt.Fprintln(o.Stdout, "hash: hash table empty")
		return 0
	}
	st := 0
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if _, builtin, ok := where(o, a); !ok || builtin {
			if !ok {
				fmt.Fprintf(o.Stderr, "-bash: hash: %s: not found\n", a)
				st = 1
			}
		}
	}
	return st
}
