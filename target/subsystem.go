package target

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/target/shell"
)

// sftpServerPath is where Amazon Linux's sshd_config finds the subsystem
// (Subsystem sftp /usr/libexec/openssh/sftp-server): what ps shows.
const sftpServerPath = "/usr/libexec/openssh/sftp-server"

// subsystem answers a subsystem request: sftp serves the instance's files
// (scp speaks it too); anything else is refused with a reason.
func (s *session) subsystem(r *ssh.Request) {
	var sub struct{ Name string }
	if err := ssh.Unmarshal(r.Payload, &sub); err != nil || sub.Name != "sftp" {
		s.refuseSubsystem(r, sub.Name)
		return
	}
	s.mu.Lock()
	started := s.started
	s.started = true
	s.mu.Unlock()
	if r.WantReply {
		r.Reply(!started, nil)
	}
	if !started {
		go s.sftp()
	}
}

// refuseSubsystem writes why name is refused on the channel's stderr, then
// refuses. OpenSSH's client exits at the refusal with stderr data it has
// read but not yet written out lost; a round trip between the two lets it
// write the reason first, as it writes out its channels' data before
// sending the reply.
func (s *session) refuseSubsystem(r *ssh.Request, name string) {
	fmt.Fprintf(s.ch.Stderr(), "vlab: subsystem %q is not available on this simulated instance (it has sftp)\r\n", name)
	replied := make(chan struct{})
	go func() {
		defer close(replied)
		// What sshd's ClientAliveInterval sends: every client answers it.
		s.conn.SendRequest("keepalive@openssh.com", true, nil)
	}()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-replied:
	case <-t.C:
	case <-s.ctx.Done():
	}
	if r.WantReply {
		r.Reply(false, nil)
	}
}

// sftp runs the session's sftp-server as the login user, then reports its
// exit status and closes the channel, as sshd does.
func (s *session) sftp() {
	defer close(s.done)
	status := 0
	defer func() {
		// A bug in the server ends this session, not the lab.
		if r := recover(); r != nil {
			fmt.Fprintf(s.ch.Stderr(), "vlab: internal error in the instance's sftp-server: %v\r\n", r)
			status = shell.StatusInternalError
		}
		s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
		s.ch.CloseWrite()
		s.ch.Close()
	}()
	u := shell.EC2User.With(s.in.user)
	now := s.in.now()
	priv, endPriv := s.in.procs.start(shell.Process{PPID: sshdPID, User: "root", TTY: "?", Command: "sshd: " + u.Name + " [priv]"}, nil, now)
	defer endPriv()
	sshd, endSSHD := s.in.procs.start(shell.Process{PPID: priv, User: u.Name, TTY: "?", Command: "sshd: " + u.Name + "@notty"}, nil, now)
	defer endSSHD()
	_, endServer := s.in.procs.start(shell.Process{PPID: sshd, User: u.Name, TTY: "?", Command: sftpServerPath}, s.cancel, now)
	defer endServer()
	// kill, a hang-up or the server stopping: closing the channel ends the
	// server's reads.
	stop := context.AfterFunc(s.ctx, func() { s.ch.Close() })
	defer stop()
	if err := serveSFTP(s.ch, s.in.fs.As(u.UID, u.GID), u); err != nil {
		status = 1
	}
}
