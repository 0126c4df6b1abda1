package target

import (
	"fmt"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/vnet"
)

// State is an instance's state with EC2's code (EC2 API Reference,
// "InstanceState").
type State struct {
	Code int
	Name string
}

func (s State) String() string { return s.Name }

// The instance states (EC2 User Guide, "Amazon EC2 instance state changes").
var (
	Pending      = State{0, "pending"}
	Running      = State{16, "running"}
	ShuttingDown = State{32, "shutting-down"}
	Terminated   = State{48, "terminated"}
	Stopping     = State{64, "stopping"}
	Stopped      = State{80, "stopped"}
)

// How long each transition takes, in lab time. Assumptions: AWS documents
// no durations (an instance "typically" takes a minute or so to stop or
// start); these are short enough for a drill and long enough to watch.
const (
	// PendingTime is a start's boot, pending to running.
	PendingTime = 15 * time.Second
	// StoppingTime is an OS shutdown, stopping to stopped.
	StoppingTime = 10 * time.Second
	// ShuttingDownTime is a termination, shutting-down to terminated.
	ShuttingDownTime = 10 * time.Second
	// RebootTime is a reboot's pause: sshd is back after it. The instance
	// stays running throughout, as EC2 shows a reboot (EC2 User Guide,
	// "Reboot your instance").
	RebootTime = 15 * time.Second
)

// StateError is a request the instance's state refuses: EC2's
// IncorrectInstanceState.
type StateError struct {
	ID    string
	State State
	Verb  string // started, stopped, rebooted
}

func (e *StateError) Error() string {
	return fmt.Sprintf("The instance '%s' is not in a state from which it can be %s.", e.ID, e.Verb)
}

// sshdConfig is how the SSH server was started, to start it again at boot.
type sshdConfig struct {
	port  int
	proxy bool
	limit MaxStartups
	grace time.Duration
}

// lifecycle is an instance's state on the lab clock.
type lifecycle struct {
	mu        sync.Mutex
	state     State
	rebooting bool
	timer     *vnet.Timer // the pending transition's
	sshd      sshdConfig  // zero port: no SSH server
	closed    bool
}

// State returns the instance's state.
func (in *Instance) State() State {
	in.life.mu.Lock()
	defer in.life.mu.Unlock()
	return in.life.state
}

// sshd returns the running SSH server, nil while the instance is down.
func (in *Instance) sshd() *sshServer {
	in.life.mu.Lock()
	defer in.life.mu.Unlock()
	return in.ssh
}

// bootTime is when the instance last booted (uptime, last, the metadata's
// pendingTime).
func (in *Instance) bootTime() time.Time {
	in.life.mu.Lock()
	defer in.life.mu.Unlock()
	return in.booted
}

// Stop stops a running instance: a graceful OS shutdown ends sshd's
// sessions (their clients see the connection closed by the remote host)
// and, after StoppingTime, the instance is stopped and its stack answers
// nothing. With force the instance stops as at a power loss: its stack
// goes silent at once, its connections neither closed nor reset. The
// filesystem survives, as an EBS root volume does; processes do not. It
// returns the states before and after, as StopInstances reports them.
func (in *Instance) Stop(force bool) (prev, cur State, err error) {
	in.life.mu.Lock()
	prev = in.life.state
	switch prev {
	case Stopping, Stopped:
		in.life.mu.Unlock()
		return prev, prev, nil
	case Running:
	default:
		in.life.mu.Unlock()
		return prev, prev, &StateError{ID: in.id, State: prev, Verb: "stopped"}
	}
	// A reboot's pause ends here: its timer, which would clear the flag,
	// is cancelled below, and a flag left set would make every later
	// Reboot a no-op.
	in.life.rebooting = false
	in.setStateLocked(Stopping, StoppingTime, func() {
		in.host.SetDown(true)
		in.life.state = Stopped
	})
	srv := in.downLocked(force)
	in.life.mu.Unlock()
	in.shutdown(srv)
	return prev, Stopping, nil
}

// Start starts a stopped instance: pending for PendingTime, then running,
// its stack answering again and sshd listening. Starting a running or
// pending instance changes nothing.
func (in *Instance) Start() (prev, cur State, err error) {
	in.life.mu.Lock()
	defer in.life.mu.Unlock()
	prev = in.life.state
	switch prev {
	case Pending, Running:
		return prev, prev, nil
	case Stopped:
	default:
		return prev, prev, &StateError{ID: in.id, State: prev, Verb: "started"}
	}
	in.setStateLocked(Pending, PendingTime, func() {
		in.bootLocked()
		in.life.state = Running
	})
	return prev, Pending, nil
}

// Reboot reboots a running instance: a graceful shutdown (sshd ends its
// sessions and stops listening, so new connections and health checks are
// refused) and, after RebootTime, a boot. The instance stays running.
func (in *Instance) Reboot() error {
	in.life.mu.Lock()
	st := in.life.state
	if st != Running {
		in.life.mu.Unlock()
		return &StateError{ID: in.id, State: st, Verb: "rebooted"}
	}
	if in.life.rebooting {
		in.life.mu.Unlock()
		return nil
	}
	in.life.rebooting = true
	in.setStateLocked(Running, RebootTime, func() {
		in.life.rebooting = false
		in.bootLocked()
	})
	// The stack stays up and refuses connections while sshd is away.
	srv := in.downLocked(false)
	in.life.mu.Unlock()
	in.shutdown(srv)
	return nil
}

// Terminate shuts the instance down for good: shutting-down for
// ShuttingDownTime, then terminated. Terminating a terminated instance
// changes nothing.
func (in *Instance) Terminate() (prev, cur State, err error) {
	in.life.mu.Lock()
	prev = in.life.state
	switch prev {
	case ShuttingDown, Terminated:
		in.life.mu.Unlock()
		return prev, prev, nil
	}
	in.life.rebooting = false
	in.setStateLocked(ShuttingDown, ShuttingDownTime, func() {
		in.host.SetTerminated() // its target says "terminated", not "stopped"
		in.host.SetDown(true)
		in.life.state = Terminated
	})
	srv := in.downLocked(false)
	in.life.mu.Unlock()
	in.shutdown(srv)
	return prev, ShuttingDown, nil
}

// setStateLocked moves the instance to s now and calls then, with
// in.life.mu held, after d of lab time (a later transition cancels it).
func (in *Instance) setStateLocked(s State, d time.Duration, then func()) {
	if in.life.timer != nil {
		in.life.timer.Stop()
	}
	in.life.state = s
	var t *vnet.Timer
	t = in.clock.AfterFunc(d, func() {
		in.life.mu.Lock()
		defer in.life.mu.Unlock()
		if in.life.closed || in.life.timer != t {
			return
		}
		in.life.timer = nil
		then()
	})
	in.life.timer = t
}

// downLocked begins an OS shutdown: it takes the SSH server away (for
// shutdown to close) and, with force, powers the host off first so that
// nothing of the shutdown leaves it. in.life.mu is held.
func (in *Instance) downLocked(force bool) *sshServer {
	if force {
		in.host.SetDown(true)
	}
	srv := in.ssh
	in.ssh = nil
	if srv != nil && !force {
		// What sshd logs on systemd's SIGTERM at shutdown.
		in.sshdLog(sshdPID, "Received signal 15; terminating.")
	}
	return srv
}

// shutdown stops sshd as the OS does when it goes down: its sessions'
// connections are closed (the client's "Connection to … closed by remote
// host."), their processes end with them. in.life.mu is not held: the
// sessions may read the instance's state as they end.
func (in *Instance) shutdown(srv *sshServer) {
	if srv != nil {
		srv.close()
	}
}

// bootLocked boots the instance: its stack answers again and sshd listens
// as at launch. in.life.mu is held.
func (in *Instance) bootLocked() {
	in.host.SetDown(false)
	in.booted = in.now()
	c := in.life.sshd
	if c.port == 0 || in.ssh != nil {
		return
	}
	ln, err := in.host.ListenReuseAddr(fmt.Sprintf(":%d", c.port))
	if err != nil {
		// Another socket listens on the port: sshd fails to start, as it
		// would, and says so.
		in.sshdLog(sshdPID, "error: Bind to port %d on 0.0.0.0 failed: %v.", c.port, err)
		return
	}
	if c.proxy {
		ln = ProxyProtocolListener(ln)
	}
	in.ssh = newSSHServer(in, ln, c.limit, c.grace)
	in.sshdLog(sshdPID, "Server listening on 0.0.0.0 port %d.", c.port)
	in.sshdLog(sshdPID, "Server listening on :: port %d.", c.port)
}

// closeLife ends the lifecycle for Close: no transition fires after it. It
// returns the SSH server to close, if one runs.
func (in *Instance) closeLife() *sshServer {
	in.life.mu.Lock()
	defer in.life.mu.Unlock()
	in.life.closed = true
	if in.life.timer != nil {
		in.life.timer.Stop()
		in.life.timer = nil
	}
	srv := in.ssh
	in.ssh = nil
	return srv
}
