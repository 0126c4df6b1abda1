package target

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/vnet"
)

// Program is a command an embedding program gives an instance: it runs
// when a session types its name, as a process of the instance (ps lists
// it, kill and Ctrl-C cancel its context), and returns its exit status.
type Program func(ctx context.Context, stdio Stdio, args []string) int

// Stdio is what a Program runs with: its standard streams, its
// environment, and the instance's network, so that a Go service under test
// listens and dials from the instance's own stack.
type Stdio struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the session's variables ($USER, $SSH_CLIENT…).
	Getenv func(name string) string
	// PID is the process the command runs as.
	PID int

	in *Instance
}

// Listen listens on the instance's stack (":8080" for every address), as
// the command's process: ss -tlnp names it.
func (s Stdio) Listen(network, address string) (net.Listener, error) {
	return s.in.listenAs(s.PID, network, address)
}

// DialContext opens a connection from the instance's stack, as the
// command's process: ss -tnp names it.
func (s Stdio) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := s.in.host.DialContext(ctx, network, address)
	if err != nil || network[0] != 't' {
		return c, err
	}
	return s.in.ownConn(s.PID, c), nil
}

// Host is the instance's network host.
func (s Stdio) Host() *vnet.Host { return s.in.host }

// Command gives the instance a command of the embedding program's: a
// session that types name runs p. A name already taken by a command of
// the instance or a shell builtin is refused, as is one a shell could not
// type.
func (in *Instance) Command(name string, p Program) error {
	if name == "" || strings.ContainsAny(name, " \t\n/;|&<>()$`'\"\\*?[]#~=%") {
		return fmt.Errorf("instance %s: command name %q: want a plain word", in.hostname, name)
	}
	if p == nil {
		return fmt.Errorf("instance %s: command %q: the program is nil", in.hostname, name)
	}
	taken := in.commands()
	for k := range in.loginCommands() {
		taken[k] = nil
	}
	probe := shell.New(shell.Config{Sys: system{in}, FS: in.fs, User: shell.EC2User})
	for _, c := range probe.Commands() {
		taken[c] = nil
	}
	if _, ok := taken[name]; ok {
		return fmt.Errorf("instance %s: command %q: the instance already has one by that name", in.hostname, name)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.programs == nil {
		in.programs = map[string]Program{}
	}
	if _, ok := in.programs[name]; ok {
		return fmt.Errorf("instance %s: command %q is already registered", in.hostname, name)
	}
	in.programs[name] = p
	return nil
}

// programCommands are the registered programs as shell commands.
func (in *Instance) programCommands() map[string]shell.Command {
	in.mu.RLock()
	defer in.mu.RUnlock()
	out := make(map[string]shell.Command, len(in.programs))
	for name, p := range in.programs {
		out[name] = func(ctx context.Context, o shell.IO, args []string) int {
			return p(ctx, Stdio{Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, Getenv: o.Getenv, PID: o.PID, in: in}, args)
		}
	}
	return out
}

// listenAs listens on the instance's stack for process pid.
func (in *Instance) listenAs(pid int, network, address string) (net.Listener, error) {
	ln, err := in.host.Listen(network, address)
	if err != nil {
		return nil, err
	}
	return in.ownListener(pid, ln), nil
}
