package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
)

// FuzzSSHServerRequests drives the instance's SSH server, through the NLB,
// with what an authenticated client may send: a script of steps, each a
// session channel request, a global request, a channel open of some type,
// data on the session, or its EOF, with a type from the protocol's own
// (or the fuzzed name), fuzzed payload bytes and wantReply.
//
// One SSH connection serves every input of a process. Invariants, for
// every input:
//
//   - the server answers every request and channel open within
//     stepDeadline (direct-tcpip opens to IPv4 addresses are pointed at
//     the instance, see forwardable);
//
//   - the connection stays usable: a fresh session runs `echo ok` after the
//     script, with status 0;
//
//   - once the script's session is closed, the process's goroutines come
//     back to where they were before the first input (give or take
//     goroutineSlack): nothing a client can ask for outlives its session;
//
//   - no panic (a panic the session recovers shows as "internal error" on
//     the session's stderr, and fails here too).
//
//     go test ./e2e -run '^$' -fuzz '^FuzzSSHServerRequests$' -fuzztime 5m -timeout 10m
func FuzzSSHServerRequests(f *testing.F) {
	for _, s := range sshSeeds() {
		f.Add(s.script, s.name)
	}
	l, err := lab.New(manual(lab.Default()))
	require.NoError(f, err)
	f.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	cl, err := l.SSH(ctx)
	require.NoError(f, err)
	f.Cleanup(func() { cl.Close() })
	requireEchoOK(f, cl)
	var inputs atomic.Int64
	var base int

	f.Fuzz(func(t *testing.T, script []byte, name string) {
		n := inputs.Add(1)
		if n == 1 {
			// Counted here, not before f.Fuzz: a fuzzing worker starts
			// goroutines of its own in f.Fuzz.
			base = fewestGoroutines(100 * time.Millisecond)
		}
		r := &sshRun{t: t, cl: cl, name: name}
		defer r.closeSession()
		for _, st := range decodeSSHScript(script) {
			r.step(st)
		}
		r.closeSession()
		assert.NotContains(t, r.stderr(), "internal error", "the session's stderr")
		requireEchoOK(t, cl)
		got := settledGoroutines(base, 10*time.Second)
		require.LessOrEqual(t, got, base+goroutineSlack,
			"goroutines after input %d: %d, %d before the first input: a session left work behind\n%s", n, got, base, goroutineDump())
	})
}

// stepDeadline bounds every request and channel open; goroutineSlack is
// what may come and go in an idle lab (a timer's goroutine, say).
const stepDeadline, goroutineSlack = 20 * time.Second, 1

// sshStep is one step of a script.
type sshStep struct {
	op        uint8 // see the sshOp constants
	kind      string
	wantReply bool
	payload   []byte
}

const (
	opChannelRequest = iota
	opGlobalRequest
	opOpenChannel
	opData
	opEOF
	opNewSession
	sshOps
)

// The types the protocol defines (RFC 4254 and OpenSSH's extensions), by
// op; an index past the end picks the fuzzed name.
var (
	channelRequests = []string{"env", "pty-req", "window-change", "exec", "shell", "subsystem", "x11-req",
		"auth-agent-req@openssh.com", "signal", "exit-status", "exit-signal", "xon-xoff", "break",
		"keepalive@openssh.com", "eow@openssh.com"}
	globalRequests = []string{"tcpip-forward", "cancel-tcpip-forward", "keepalive@openssh.com",
		"no-more-sessions@openssh.com", "hostkeys-00@openssh.com", "hostkeys-prove-00@openssh.com",
		"streamlocal-forward@openssh.com"}
	channelTypes = []string{"session", "direct-tcpip", "forwarded-tcpip", "x11", "auth-agent@openssh.com",
		"direct-streamlocal@openssh.com", "tun@openssh.com"}
)

// typesOf is the list of types an op picks from, nil for ops without one.
func typesOf(op uint8) []string {
	switch op {
	case opChannelRequest:
		return channelRequests
	case opGlobalRequest:
		return globalRequests
	case opOpenChannel:
		return channelTypes
	}
	return nil
}

// decodeSSHScript reads steps of 4 bytes and a payload: op, type index,
// flags (bit 0: wantReply), payload length, payload. Every byte string is
// a script; a short last step takes what is left. The fuzzed name fills
// in for an index past a list's end.
func decodeSSHScript(b []byte) []sshStep {
	var out []sshStep
	for len(b) >= 4 && len(out) < 64 {
		st := sshStep{op: b[0] % sshOps, wantReply: b[2]&1 != 0}
		sel, n := int(b[1]), int(b[3])
		b = b[4:]
		n = min(n, len(b))
		st.payload, b = b[:n], b[n:]
		list := typesOf(st.op)
		if list != nil {
			if i := sel % (len(list) + 1); i < len(list) {
				st.kind = list[i]
			} else {
				st.kind = "\x00" // the fuzzed name
			}
		}
		out = append(out, st)
	}
	return out
}

// encodeSSHScript is decodeSSHScript's inverse, for seeds; kind "" picks
// the fuzzed name.
func encodeSSHScript(steps ...sshStep) []byte {
	var b []byte
	for _, st := range steps {
		list := typesOf(st.op)
		sel := len(list)
		for i, k := range list {
			if k == st.kind {
				sel = i
			}
		}
		var flags byte
		if st.wantReply {
			flags = 1
		}
		if len(st.payload) > 255 {
			panic("seed payload over 255 bytes")
		}
		b = append(b, st.op, byte(sel), flags, byte(len(st.payload)))
		b = append(b, st.payload...)
	}
	return b
}

// sshRun runs one script on the shared connection.
type sshRun struct {
	t       *testing.T
	cl      *ssh.Client
	name    string
	session ssh.Channel
	errs    *syncBuffer
	copied  chan struct{} // closed when the session's stderr is all read
}

func (r *sshRun) kind(st sshStep) string {
	if st.kind == "\x00" {
		return r.name
	}
	return st.kind
}

// within runs f on a goroutine and fails the test if it does not return
// within stepDeadline.
func (r *sshRun) within(what string, f func()) {
	r.t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(stepDeadline):
		r.t.Fatalf("%s: no answer in %v", what, stepDeadline)
	}
}

func (r *sshRun) step(st sshStep) {
	r.t.Helper()
	kind := r.kind(st)
	switch st.op {
	case opChannelRequest:
		ch := r.openSession()
		if ch == nil {
			return
		}
		r.within(fmt.Sprintf("channel request %q (want reply %v, %x)", kind, st.wantReply, st.payload), func() {
			ch.SendRequest(kind, st.wantReply, st.payload) // a closed channel errs; fine
		})
	case opGlobalRequest:
		r.within(fmt.Sprintf("global request %q (want reply %v, %x)", kind, st.wantReply, st.payload), func() {
			ok, _, err := r.cl.SendRequest(kind, st.wantReply, st.payload)
			assert.NoError(r.t, err, "the connection answers a global request")
			if st.wantReply && kind != "keepalive@openssh.com" {
				assert.False(r.t, ok, "global request %q is refused", kind)
			}
		})
	case opOpenChannel:
		payload := forwardable(kind, st.payload)
		r.within(fmt.Sprintf("open channel %q (%x)", kind, payload), func() {
			ch, reqs, err := r.cl.OpenChannel(kind, payload)
			var oc *ssh.OpenChannelError
			if err != nil {
				assert.True(r.t, errors.As(err, &oc), "a refused channel is refused, the connection lives: %v", err)
				return
			}
			go ssh.DiscardRequests(reqs)
			ch.Close()
		})
	case opData:
		ch := r.openSession()
		if ch == nil {
			return
		}
		r.within(fmt.Sprintf("data %q", st.payload), func() { ch.Write(st.payload) })
	case opEOF:
		if ch := r.openSession(); ch != nil {
			r.within("EOF", func() { ch.CloseWrite() })
		}
	case opNewSession:
		r.closeSession()
		r.openSession()
	}
}

// forwardable points a direct-tcpip request for an IPv4 address at the
// instance's own address, keeping the port: the instance reaches nothing
// else in the reference lab (no NAT gateway), and a dial whose SYN the
// fabric drops waits the server's full 10 s, as TCP does, which the fuzzing
// engine takes for a hung worker. Names, malformed hosts and payloads that
// do not parse reach the server unchanged.
func forwardable(kind string, payload []byte) []byte {
	if kind != "direct-tcpip" {
		return payload
	}
	var req struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	if ssh.Unmarshal(payload, &req) != nil {
		return payload
	}
	if a, err := netip.ParseAddr(req.Host); err != nil || !a.Is4() || a.IsLoopback() {
		return payload
	}
	req.Host = "10.0.128.108"
	return ssh.Marshal(req)
}

// openSession returns the script's session channel, opening it first if
// need be.
func (r *sshRun) openSession() ssh.Channel {
	r.t.Helper()
	if r.session != nil {
		return r.session
	}
	r.within("open a session", func() {
		ch, reqs, err := r.cl.OpenChannel("session", nil)
		require.NoError(r.t, err, "the connection opens a session")
		go ssh.DiscardRequests(reqs)
		if r.errs == nil {
			r.errs = &syncBuffer{}
		}
		copied := make(chan struct{})
		go io.Copy(io.Discard, ch)
		go func() { defer close(copied); io.Copy(r.errs, ch.Stderr()) }()
		r.session, r.copied = ch, copied
	})
	return r.session
}

// closeSession closes the script's session, if open, and waits until the
// server has closed it too (its stderr then ends).
func (r *sshRun) closeSession() {
	r.t.Helper()
	if r.session == nil {
		return
	}
	r.session.Close()
	select {
	case <-r.copied:
	case <-time.After(stepDeadline):
		r.t.Fatalf("the server did not close a closed session in %v", stepDeadline)
	}
	r.session = nil
}

func (r *sshRun) stderr() string {
	if r.errs == nil {
		return ""
	}
	return r.errs.String()
}

// requireEchoOK runs `echo ok` in a fresh session of cl.
func requireEchoOK(t require.TestingT, cl *ssh.Client) {
	done := make(chan struct{})
	var out []byte
	var err error
	go func() {
		defer close(done)
		var s *ssh.Session
		if s, err = cl.NewSession(); err != nil {
			return
		}
		defer s.Close()
		out, err = s.Output("echo ok")
	}()
	select {
	case <-done:
	case <-time.After(stepDeadline):
		require.Fail(t, "echo ok: no answer in "+stepDeadline.String())
	}
	require.NoError(t, err, "a fresh session runs echo ok")
	require.Equal(t, "ok\n", string(out))
}

// settledGoroutines waits up to d for the process's goroutines to come
// down to at most want+goroutineSlack and returns how many there are.
func settledGoroutines(want int, d time.Duration) int {
	deadline := time.After(d)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	n := runtime.NumGoroutine()
	for n > want+goroutineSlack {
		select {
		case <-deadline:
			return n
		case <-tick.C:
			n = runtime.NumGoroutine()
		}
	}
	return n
}

// fewestGoroutines is the fewest goroutines the process had over d: its
// idle count, without what a moment's timers add.
func fewestGoroutines(d time.Duration) int {
	n := runtime.NumGoroutine()
	end := time.After(d)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-end:
			return n
		case <-tick.C:
			n = min(n, runtime.NumGoroutine())
		}
	}
}

func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

type sshSeed struct {
	script []byte
	name   string
}

func sshSeeds() []sshSeed {
	req := func(kind string, want bool, payload any) sshStep {
		var b []byte
		switch p := payload.(type) {
		case nil:
		case []byte:
			b = p
		default:
			b = ssh.Marshal(p)
		}
		return sshStep{op: opChannelRequest, kind: kind, wantReply: want, payload: b}
	}
	global := func(kind string, want bool, payload []byte) sshStep {
		return sshStep{op: opGlobalRequest, kind: kind, wantReply: want, payload: payload}
	}
	open := func(kind string, payload []byte) sshStep {
		return sshStep{op: opOpenChannel, kind: kind, payload: payload}
	}
	data := func(s string) sshStep { return sshStep{op: opData, payload: []byte(s)} }
	eof := sshStep{op: opEOF}
	type cmd struct{ Command string }
	type env struct{ Name, Value string }
	type pty struct {
		Term                      string
		Cols, Rows, Width, Height uint32
		Modes                     string
	}
	type win struct{ Cols, Rows, Width, Height uint32 }
	type tcpip struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	seed := func(name string, steps ...sshStep) sshSeed {
		return sshSeed{encodeSSHScript(steps...), name}
	}
	return []sshSeed{
		seed("", req("exec", true, cmd{"echo hi"})),
		seed("", req("env", true, env{"LANG", "C.UTF-8"}), req("env", true, env{"LD_PRELOAD", "x"}), req("exec", true, cmd{"env"})),
		seed("", req("pty-req", true, pty{"xterm-256color", 80, 24, 0, 0, "\x00"}), req("shell", true, nil),
			data("hostname\r"), req("window-change", false, win{0, 0, 0, 0}), data("echo $TERM\r"),
			req("window-change", false, win{4294967295, 4294967295, 0, 0}), data("exit\r")),
		seed("", req("pty-req", true, pty{"vt100", 0, 0, 0, 0, ""}), req("exec", true, cmd{"ss -tn | head -3"})),
		seed("", req("shell", true, nil), data("echo a\nid\n"), eof),
		seed("", req("shell", true, nil), req("shell", true, nil), req("exec", true, cmd{"true"})),
		seed("", req("exec", true, []byte{0, 0, 0, 9, 'e'})),
		seed("", req("exec", true, cmd{"A=1 | B=2 | C=3 | env | grep -c ="}), req("signal", true, []byte("\x00\x00\x00\x03INT"))),
		seed("", req("exec", false, cmd{"cat"}), data("typed into cat\n"), eof),
		seed("", req("subsystem", true, struct{ Name string }{"sftp"}), req("x11-req", true, []byte{0, 0, 0, 0}),
			req("auth-agent-req@openssh.com", true, nil)),
		seed("", req("pty-req", true, []byte("short")), req("window-change", true, []byte{1})),
		seed("vendor@example.com", req("", true, []byte("anything")), global("", true, nil), open("", nil)),
		seed("", global("tcpip-forward", true, ssh.Marshal(struct {
			Addr string
			Port uint32
		}{"0.0.0.0", 8080})), global("keepalive@openssh.com", true, nil), global("no-more-sessions@openssh.com", false, nil)),
		seed("", open("direct-tcpip", ssh.Marshal(tcpip{"10.0.128.108", 22, "127.0.0.1", 40000}))),
		seed("", open("direct-tcpip", ssh.Marshal(tcpip{"localhost", 22, "", 0}))),
		seed("", open("direct-tcpip", []byte("not a request"))),
		seed("", open("direct-tcpip", ssh.Marshal(tcpip{"no.such.host", 22, "", 0}))),
		seed("", open("x11", nil), open("forwarded-tcpip", nil), open("session", []byte("extra"))),
		seed("", sshStep{op: opNewSession}, req("exec", true, cmd{"exit 3"}), sshStep{op: opNewSession}, req("exec", true, cmd{"false"})),
		seed("", req("exit-status", true, []byte{0, 0, 0, 1}), req("exit-signal", false, nil), req("eow@openssh.com", false, nil)),
	}
}
