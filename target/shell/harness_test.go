package shell

import (
	"bytes"
	"context"
	"io/fs"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/target/vfs"
)

// labTime is the fake lab clock's time.
var labTime = time.Date(2026, 11, 30, 13, 19, 26, 0, time.UTC)

// fakeSys is a host with the seed's instance's addresses and a process
// table.
type fakeSys struct {
	mu    sync.Mutex
	procs map[int]Process
	kills map[int]func()
	next  int
}

func newFakeSys() *fakeSys {
	return &fakeSys{procs: map[int]Process{}, kills: map[int]func(){}, next: 4000}
}

func (*fakeSys) Hostname() string      { return "ip-10-0-128-108" }
func (*fakeSys) Domain() string        { return "ap-northeast-1.compute.internal" }
func (*fakeSys) KernelRelease() string { return "6.1.119-129.201.amzn2023.x86_64" }
func (*fakeSys) Now() time.Time        { return labTime }
func (*fakeSys) Booted() time.Time     { return labTime.Add(-90 * time.Minute) }
func (*fakeSys) Sockets() []Socket {
	return []Socket{
		{State: "LISTEN", Local: netip.MustParseAddrPort("0.0.0.0:22")},
		{State: "ESTAB", Local: netip.MustParseAddrPort("10.0.128.108:22"), Peer: netip.MustParseAddrPort("203.0.113.10:40000")},
	}
}
func (*fakeSys) Interfaces() []Interface {
	return []Interface{{Name: "eth0", MAC: "06:00:00:00:00:01", MTU: 1500, Addr: netip.MustParsePrefix("10.0.128.108/20")}}
}
func (*fakeSys) Routes() []Route {
	return []Route{
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.128.1"), Dev: "eth0"},
		{Dst: netip.MustParsePrefix("10.0.128.0/20"), Dev: "eth0", Src: netip.MustParseAddr("10.0.128.108")},
	}
}

func (s *fakeSys) Processes() []Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Process
	for _, p := range s.procs {
		out = append(out, p)
	}
	return out
}

func (s *fakeSys) Start(p Process, cancel context.CancelFunc) (int, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	p.PID, p.Started = s.next, labTime
	s.procs[p.PID], s.kills[p.PID] = p, cancel
	return p.PID, func() {
		s.mu.Lock()
		delete(s.procs, p.PID)
		delete(s.kills, p.PID)
		s.mu.Unlock()
	}
}

func (s *fakeSys) Kill(pid, sig, uid int) error {
	s.mu.Lock()
	k, ok := s.kills[pid]
	s.mu.Unlock()
	if !ok {
		return ErrNoProcess
	}
	k()
	return nil
}

// testFS is a small instance filesystem: the directories a fresh image has
// that the tests use.
func testFS(t testing.TB) *vfs.FS {
	f := vfs.New(0, func() time.Time { return labTime })
	root := f.Root()
	for _, d := range []string{"/etc", "/home", "/root", "/dev", "/var/log", "/usr/bin"} {
		require.NoError(t, root.MkdirAll(d, 0o755))
	}
	require.NoError(t, root.Mkdir("/tmp", fs.ModeSticky|0o777))
	require.NoError(t, root.Mkdir("/home/ec2-user", 0o700))
	require.NoError(t, root.Chown("/home/ec2-user", 1000, 1000))
	require.NoError(t, root.Chmod("/root", 0o550))
	require.NoError(t, root.WriteFile("/etc/hostname", []byte("ip-10-0-128-108.ap-northeast-1.compute.internal\n"), 0o644))
	require.NoError(t, root.AddDevice("/dev/null", 0o666, vfs.Null{}))
	require.NoError(t, root.AddDevice("/dev/zero", 0o666, vfs.Zero{}))
	require.NoError(t, root.AddDevice("/dev/urandom", 0o666, vfs.Random{}))
	return f
}

// newShell is ec2-user's shell on a fresh test instance.
func newShell(t testing.TB) *Shell {
	return New(Config{Sys: newFakeSys(), FS: testFS(t), User: EC2User, PID: 3001, PPID: 3000, Env: map[string]string{
		"SSH_CLIENT": "203.0.113.10 40000 22", "EMPTY": "", "PATH": "/usr/local/bin:/usr/bin:/usr/local/sbin:/usr/sbin", "SHELL": "/bin/bash",
	}})
}

// runIn runs line in s with stdin and returns stdout, stderr and status.
func runIn(t testing.TB, s *Shell, line, stdin string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	var in *bytes.Reader
	if stdin != "" {
		in = bytes.NewReader([]byte(stdin))
	}
	var st int
	if in != nil {
		st = s.Run(context.Background(), line, in, &out, &errb)
	} else {
		st = s.Run(context.Background(), line, nil, &out, &errb)
	}
	return out.String(), errb.String(), st
}

// run runs line in a new shell.
func run(t testing.TB, line string) (string, string, int) {
	t.Helper()
	return runIn(t, newShell(t), line, "")
}
