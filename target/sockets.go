package target

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/vlab-sim/vlab/target/shell"
)

// owners maps the instance's TCP sockets to the processes that hold them,
// as Linux finds them through /proc/PID/fd for ss -p and netstat -p. A
// command that listens or dials (nc, curl, a Program) records its sockets
// for its process until it closes them. sshd's are known without being
// recorded: its listener is the daemon's, and an SSH connection belongs to
// its [priv] process and that process's sshd children, found from the
// sessions' shells (their SSH_CONNECTION and their parent).
type owners struct {
	mu       sync.Mutex
	byKey    map[sockKey][]sockOwner
	sessions map[sockKey]int // an SSH connection -> its [priv] process
	fds      map[int][]int   // the descriptors each process holds
}

// sockKey names a socket by its two ends; a listener's peer is the zero
// address with port 0, as the stack lists it.
type sockKey struct{ local, peer netip.AddrPort }

type sockOwner struct{ pid, fd int }

// anyPeer is a listener's peer.
var anyPeer = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)

func keyOf(local, peer net.Addr) (sockKey, bool) {
	l, ok := addrPortOf(local)
	if !ok {
		return sockKey{}, false
	}
	if peer == nil {
		return sockKey{l, anyPeer}, true
	}
	p, ok := addrPortOf(peer)
	return sockKey{l, p}, ok
}

// addrPortOf reads a socket address; an unspecified one (a listener's on
// every address) is 0.0.0.0.
func addrPortOf(a net.Addr) (netip.AddrPort, bool) {
	var ap netip.AddrPort
	switch t := a.(type) {
	case *net.TCPAddr:
		ap = t.AddrPort()
	case *net.UDPAddr:
		ap = t.AddrPort()
	default:
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return ap, false
		}
	}
	if !ap.Addr().IsValid() || ap.Addr().IsUnspecified() {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), ap.Port()), true
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// own records that process pid holds socket k under its lowest free
// descriptor from 3 (0-2 are its standard streams) until release.
func (o *owners) own(pid int, k sockKey) (fd int, release func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byKey == nil {
		o.byKey, o.fds = map[sockKey][]sockOwner{}, map[int][]int{}
	}
	fd = 3
	for slices.Contains(o.fds[pid], fd) {
		fd++
	}
	o.fds[pid] = append(o.fds[pid], fd)
	o.byKey[k] = append(o.byKey[k], sockOwner{pid, fd})
	var once sync.Once
	return fd, func() {
		once.Do(func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.fds[pid] = slices.DeleteFunc(o.fds[pid], func(f int) bool { return f == fd })
			if len(o.fds[pid]) == 0 {
				delete(o.fds, pid)
			}
			o.byKey[k] = slices.DeleteFunc(o.byKey[k], func(s sockOwner) bool { return s == sockOwner{pid, fd} })
			if len(o.byKey[k]) == 0 {
				delete(o.byKey, k)
			}
		})
	}
}

// ownedConn is a connection a process holds: closing it releases it.
type ownedConn struct {
	net.Conn
	release func()
}

func (c *ownedConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// CloseWrite closes the connection's sending half (TCP's FIN), as the
// connection beneath does.
func (c *ownedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// ownConn records c for process pid (pid 0: nobody's, c is returned as
// it is).
func (in *Instance) ownConn(pid int, c net.Conn) net.Conn {
	if pid == 0 {
		return c
	}
	k, ok := keyOf(c.LocalAddr(), c.RemoteAddr())
	if !ok {
		return c
	}
	_, release := in.owners.own(pid, k)
	return &ownedConn{c, release}
}

// ownedListener is a listener a process holds, and whose connections it
// holds once accepted.
type ownedListener struct {
	net.Listener
	in      *Instance
	pid     int
	release func()
}

func (l *ownedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.in.ownConn(l.pid, c), nil
}

func (l *ownedListener) Close() error {
	l.release()
	return l.Listener.Close()
}

// ownListener records ln and the connections it accepts for process pid.
func (in *Instance) ownListener(pid int, ln net.Listener) net.Listener {
	if pid == 0 {
		return ln
	}
	k, ok := keyOf(ln.Addr(), nil)
	if !ok {
		return ln
	}
	_, release := in.owners.own(pid, k)
	return &ownedListener{ln, in, pid, release}
}

// ShellStarted implements shell.ShellWatcher: a session's shell names its
// connection (SSH_CONNECTION) and its parent, the session's sshd process,
// whose parent is the connection's [priv] process.
func (s system) ShellStarted(c shell.Config) {
	f := strings.Fields(c.Env["SSH_CONNECTION"])
	if len(f) != 4 || c.PPID == 0 {
		return
	}
	peer, err1 := netip.ParseAddrPort(net.JoinHostPort(f[0], f[1]))
	local, err2 := netip.ParseAddrPort(net.JoinHostPort(f[2], f[3]))
	if err1 != nil || err2 != nil {
		return
	}
	procs := s.in.procs.list()
	byPID := make(map[int]shell.Process, len(procs))
	for _, p := range procs {
		byPID[p.PID] = p
	}
	child, ok := byPID[c.PPID]
	if !ok || !strings.HasPrefix(child.Command, "sshd: ") {
		return // a login shell inside a session (sudo -i)
	}
	priv, ok := byPID[child.PPID]
	if !ok || !strings.HasSuffix(priv.Command, "[priv]") {
		return
	}
	o := &s.in.owners
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.sessions == nil {
		o.sessions = map[sockKey]int{}
	}
	for k, pid := range o.sessions {
		if _, alive := byPID[pid]; !alive {
			delete(o.sessions, k) // a connection that has ended
		}
	}
	o.sessions[sockKey{local, peer}] = priv.PID
}

// sshPort is the port the SSH server listens on, 0 without one.
func (in *Instance) sshPort() uint16 {
	srv := in.sshd()
	if srv == nil {
		return 0
	}
	if a, ok := srv.ln.Addr().(*net.TCPAddr); ok {
		return uint16(a.Port)
	}
	return 0
}

// sockets lists the instance's TCP sockets with their queues and the
// processes that hold them.
func (in *Instance) sockets() []shell.Socket {
	procs := in.procs.list()
	byPID := make(map[int]shell.Process, len(procs))
	for _, p := range procs {
		byPID[p.PID] = p
	}
	user := func(pid, fd int) (shell.SocketUser, bool) {
		p, ok := byPID[pid]
		if !ok {
			return shell.SocketUser{}, false
		}
		return shell.SocketUser{Name: progName(p.Command), PID: pid, FD: fd, User: p.User}, true
	}
	ssh := in.sshPort()
	o := &in.owners
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []shell.Socket
	for _, so := range in.host.Sockets() {
		s := shell.Socket{State: so.State, Local: so.Local, Peer: so.Peer, RecvQ: so.RecvQ, SendQ: so.SendQ}
		k := sockKey{so.Local, so.Peer}
		for _, ow := range o.byKey[k] {
			if u, ok := user(ow.pid, ow.fd); ok {
				s.Users = append(s.Users, u)
			}
		}
		switch {
		case ssh == 0 || so.Local.Port() != ssh:
		case so.State == "LISTEN":
			if u, ok := user(sshdPID, 3); ok {
				s.Users = append(s.Users, u)
			}
		default:
			if priv, ok := o.sessions[k]; ok {
				// The [priv] process and its sshd children hold the
				// connection, as after sshd's privilege separation.
				if u, ok := user(priv, 4); ok {
					s.Users = append(s.Users, u)
				}
				for _, p := range procs {
					if p.PPID == priv && strings.HasPrefix(p.Command, "sshd: ") {
						u, _ := user(p.PID, 4)
						s.Users = append(s.Users, u)
					}
				}
			}
		}
		slices.SortFunc(s.Users, func(a, b shell.SocketUser) int { return b.PID - a.PID })
		out = append(out, s)
	}
	return out
}

// progName is a process's program as ps names it without -f: sshd for
// "sshd: ec2-user@pts/0", nc for "nc -l 8080".
func progName(cmd string) string {
	name, _, _ := strings.Cut(cmd, " ")
	name = strings.TrimSuffix(strings.TrimPrefix(name, "-"), ":")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}
