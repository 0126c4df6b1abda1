package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/vlab-sim/vlab/target/vfs"
)

// The interpreter's hooks: every command, file and directory it reaches
// goes through them, so nothing it runs touches the host.

// ours are the shell builtins the instance answers itself: the
// interpreter's would look at the host (type, command -v look up the
// host's PATH) or do not exist there (history, kill).
var ours = map[string]bool{"kill": true, "history": true, "help": true, "type": true, "command": true, "pwd": true, "ulimit": true, "umask": true, "jobs": true, "hash": true}

// ourPrefix marks a builtin name the call hook handed to the exec hook.
const ourPrefix = "\x00"

// statusCmd is what the call hook runs in place of a command it answered
// itself (a source that found no file): it only returns its status.
const statusCmd = "\x01status"

func (s *Shell) call(ctx context.Context, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	name := args[0]
	if name == "builtin" && len(args) > 1 {
		// builtin NAME runs the interpreter's own NAME, which for ours
		// would look at the host.
		if ours[args[1]] || args[1] == "source" || args[1] == "." || args[1] == "eval" {
			args, name = args[1:], args[1]
			if ours[name] {
				return append([]string{ourPrefix + name}, args[1:]...), nil
			}
		}
	}
	switch {
	case name == "logout":
		args = append([]string{"exit"}, args[1:]...)
	case name == "source" || name == ".":
		if _, isFunc := s.runner.Funcs[name]; !isFunc {
			return s.source(ctx, args), nil
		}
	case name == "eval" && len(args) > 1:
		// What eval runs is parsed only now: its $$ must be the shell's
		// too.
		if src, ok := s.ownSource(strings.Join(args[1:], " ")); ok {
			args = []string{"eval", src}
		}
	case ours[name]:
		if _, isFunc := s.runner.Funcs[name]; !isFunc {
			args = append([]string{ourPrefix + name}, args[1:]...)
		}
	}
	return args, nil
}

// source runs a script from the instance's files as eval does (the
// interpreter's own source would look for it on the host): a name without
// a slash is looked for along $PATH, then in the working directory, as
// bash does.
func (s *Shell) source(ctx context.Context, args []string) []string {
	hc := interp.HandlerCtx(ctx)
	if len(args) < 2 {
		fmt.Fprintf(hc.Stderr, "-bash: %s: filename argument required\n%s: usage: %s filename [arguments]\n", args[0], args[0], args[0])
		return []string{statusCmd, "2"}
	}
	fsys := s.FS.As(s.User.UID, s.User.GID)
	name := args[1]
	var candidates []string
	if !strings.Contains(name, "/") {
		for _, dir := range strings.Split(hc.Env.Get("PATH").String(), ":") {
			if dir != "" {
				candidates = append(candidates, vfs.Abs(dir, name))
			}
		}
	}
	candidates = append(candidates, vfs.Abs(hc.Dir, name))
	var lastErr error
	for _, p := range candidates {
		b, err := fsys.ReadFile(p)
		if err != nil {
			lastErr = err
			continue
		}
		src, ok := s.ownSource(string(b))
		if !ok {
			src = string(b) // eval reports the syntax error
		}
		return []string{"eval", src}
	}
	fmt.Fprintf(hc.Stderr, "-bash: %s: %s\n", name, vfs.Strerror(lastErr))
	return []string{statusCmd, "1"}
}

// ownSource parses src and prints it back with $$, $PPID and $0 made the
// shell's own.
func (s *Shell) ownSource(src string) (string, bool) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil {
		return "", false
	}
	s.ownPIDs(f)
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, f); err != nil {
		return "", false
	}
	return b.String(), true
}

// exec runs one of the instance's commands.
func (s *Shell) exec(ctx context.Context, args []string) error {
	hc := interp.HandlerCtx(ctx)
	name := strings.TrimPrefix(args[0], ourPrefix)
	args = append([]string{name}, args[1:]...)
	o := IO{Stdin: hc.Stdin, Stdout: hc.Stdout, Stderr: hc.Stderr, Shell: s, Dir: hc.Dir, FS: s.FS.As(s.User.UID, s.User.GID), env: hc.Env}
	if f, ok := o.Stdin.(*os.File); ok && f == nil || o.Stdin == nil {
		o.Stdin = eofReader{}
	}
	st := s.Exec(ctx, o, args)
	if st != 0 {
		return interp.NewExitStatus(uint8(st))
	}
	return nil
}

// Exec runs the command args names with o, recorded as a process while it
// runs: what sudo, command and the exec hook share.
func (s *Shell) Exec(ctx context.Context, o IO, args []string) (status int) {
	name := args[0]
	if name == statusCmd {
		n, _ := strconv.Atoi(args[1])
		return n // what the call hook already answered, its status
	}
	c, ok := s.commands[name]
	if !ok {
		if interp.IsBuiltin(name) && !ours[name] {
			// sudo echo: a builtin of the interpreter's.
			hc := interp.HandlerCtx(ctx)
			if err := hc.Builtin(ctx, args); err != nil {
				if st, ok := interp.IsExitStatus(err); ok {
					return int(st)
				}
				return 1
			}
			return 0
		}
		if strings.Contains(name, "/") {
			if _, err := o.FS.Stat(o.Path(name)); err != nil {
				fmt.Fprintf(o.Stderr, "bash: %s: %s\n", name, vfs.Strerror(err))
				return 127
			}
			fmt.Fprintf(o.Stderr, "bash: %s: Permission denied (this simulated instance runs only its built-in commands)\n", name)
			return 126
		}
		if msg, ok := notHere[name]; ok {
			fmt.Fprintf(o.Stderr, "bash: %s: %s\n", name, msg)
			return 127
		}
		fmt.Fprintf(o.Stderr, "bash: %s: command not found\n", name)
		return 127
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	user := o.Getenv("USER")
	if user == "" {
		user = s.User.Name
	}
	pid, done := s.Sys.Start(Process{PPID: s.PID, User: user, TTY: s.tty(), Command: strings.Join(args, " ")}, cancel)
	defer done()
	o.PID = pid
	defer func() {
		// A command's bug ends that command, never the session or the lab.
		if r := recover(); r != nil {
			fmt.Fprintf(o.Stderr, "-bash: %s: internal error: %v\n", name, r)
			status = StatusInternalError
		}
	}()
	st := c(cctx, o, args)
	if cctx.Err() != nil && ctx.Err() == nil {
		return 143 // ended by kill (SIGTERM)
	}
	return st
}

func (s *Shell) tty() string {
	if s.TTY == "" {
		return "?"
	}
	return s.TTY
}

// notHere answers commands a user of Amazon Linux may type that cannot be
// real on a simulated instance, in one line.
var notHere = map[string]string{
	"awk":       "command not found (awk is not available on this simulated instance: no maintained Go implementation; try grep, cut, sed or tr)",
	"gawk":      "command not found (awk is not available on this simulated instance; try grep, cut, sed or tr)",
	"yum":       "command not found (no package manager on this simulated instance: nothing can be installed)",
	"dnf":       "command not found (no package manager on this simulated instance: nothing can be installed)",
	"rpm":       "command not found (no package manager on this simulated instance)",
	"vi":        "command not found (no editor on this simulated instance; write files with cat > FILE or a here-document)",
	"vim":       "command not found (no editor on this simulated instance; write files with cat > FILE or a here-document)",
	"nano":      "command not found (no editor on this simulated instance; write files with cat > FILE or a here-document)",
	"python3":   "command not found (no interpreters on this simulated instance)",
	"python":    "command not found (no interpreters on this simulated instance)",
	"perl":      "command not found (no interpreters on this simulated instance)",
	"bash":      "command not found (you are in the instance's shell already; run a script with source FILE)",
	"sh":        "command not found (you are in the instance's shell already; run a script with source FILE)",
	"systemctl": "command not found (no systemd on this simulated instance; ps lists what runs)",
	"less":      "command not found (no pager on this simulated instance: use head, tail or grep)",
	"more":      "command not found (no pager on this simulated instance: use head, tail or grep)",
	"man":       "command not found (no manual pages on this simulated instance; help lists the commands)",
	"top":       "command not found (no top on this simulated instance; ps aux and uptime show what runs)",
	"htop":      "command not found (no htop on this simulated instance; ps aux and uptime show what runs)",
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// open opens files for redirections and source.
func (s *Shell) open(ctx context.Context, path string, flag int, perm os.FileMode) (io.ReadWriteCloser, error) {
	hc := interp.HandlerCtx(ctx)
	switch path {
	case "/dev/stdin":
		return nopCloser{r: hc.Stdin}, nil
	case "/dev/stdout":
		return nopCloser{w: hc.Stdout}, nil
	case "/dev/stderr":
		return nopCloser{w: hc.Stderr}, nil
	}
	p := vfs.Abs(hc.Dir, path)
	if flag&os.O_CREATE != 0 {
		perm = 0o664 // 0666 less Amazon Linux's umask 0002 (the interpreter asks for 0644)
	}
	f, err := s.FS.As(s.User.UID, s.User.GID).OpenFile(p, flag, perm)
	if err != nil {
		// Worded as bash words it: "bash: FILE: No such file or directory".
		return nil, &fs.PathError{Op: "bash:", Path: path, Err: errors.New(vfs.Strerror(err))}
	}
	return f, nil
}

type nopCloser struct {
	r io.Reader
	w io.Writer
}

func (n nopCloser) Read(p []byte) (int, error) {
	if n.r == nil {
		return 0, io.EOF
	}
	return n.r.Read(p)
}

func (n nopCloser) Write(p []byte) (int, error) {
	if n.w == nil {
		return 0, syscall.EBADF
	}
	return n.w.Write(p)
}

func (nopCloser) Close() error { return nil }

func (s *Shell) stat(ctx context.Context, name string, _ bool) (fs.FileInfo, error) {
	hc := interp.HandlerCtx(ctx)
	return s.FS.As(s.User.UID, s.User.GID).Stat(vfs.Abs(hc.Dir, name))
}

func (s *Shell) readDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	hc := interp.HandlerCtx(ctx)
	return s.FS.As(s.User.UID, s.User.GID).ReadDir(vfs.Abs(hc.Dir, name))
}

func (s *Shell) access(ctx context.Context, name string, mode interp.AccessMode) error {
	hc := interp.HandlerCtx(ctx)
	return s.FS.As(s.User.UID, s.User.GID).Access(vfs.Abs(hc.Dir, name), int(mode))
}

// ownPIDs replaces $$ and $PPID, which the interpreter takes from the host
// process, with the shell's own process numbers, and $0 with the shell's
// name.
func (s *Shell) ownPIDs(f *syntax.File) {
	fix := func(parts []syntax.WordPart) {
		for i, p := range parts {
			pe, ok := p.(*syntax.ParamExp)
			if !ok || pe.Param == nil || pe.Length || pe.Index != nil || pe.Slice != nil || pe.Repl != nil || pe.Exp != nil || pe.Excl {
				continue
			}
			switch pe.Param.Value {
			case "$":
				parts[i] = &syntax.Lit{ValuePos: pe.Pos(), ValueEnd: pe.End(), Value: strconv.Itoa(s.PID)}
			case "PPID":
				parts[i] = &syntax.Lit{ValuePos: pe.Pos(), ValueEnd: pe.End(), Value: strconv.Itoa(s.PPID)}
			case "0":
				parts[i] = &syntax.Lit{ValuePos: pe.Pos(), ValueEnd: pe.End(), Value: s.Arg0}
			}
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Word:
			fix(n.Parts)
		case *syntax.DblQuoted:
			fix(n.Parts)
		}
		return true
	})
}
