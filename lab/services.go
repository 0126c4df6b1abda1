package lab

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/vlab-sim/vlab/lab/topology"
)

// serve runs one of a topology's services (http-echo, tcp-echo) on a
// listener from listen, until the lab closes. name is the machine's name,
// which an http-echo answer starts with.
func (l *Lab) serve(listen func(network, address string) (net.Listener, error), s topology.Service, name string) error {
	ln, err := listen("tcp", ":"+strconv.Itoa(s.Port))
	if err != nil {
		return fmt.Errorf("%s on port %d: %w", s.Type, s.Port, err)
	}
	switch s.Type {
	case "http-echo":
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Tells who asked: the source address the server saw, the
			// point of most experiments.
			fmt.Fprintf(w, "%s: hello %s\n", name, r.RemoteAddr)
		})}
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.Serve(ln)
		}()
		l.closers = append(l.closers, func() { srv.Close(); <-done })
	case "tcp-echo":
		e := &echoServer{ln: ln, conns: map[net.Conn]bool{}}
		e.wg.Add(1)
		go e.run()
		l.closers = append(l.closers, e.close)
	default:
		ln.Close()
		return fmt.Errorf("service type %q: want ssh, http-echo or tcp-echo", s.Type)
	}
	return nil
}

// echoServer writes back what each connection sends.
type echoServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
	shut  bool
}

func (e *echoServer) run() {
	defer e.wg.Done()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		if e.shut {
			e.mu.Unlock()
			c.Close()
			return
		}
		e.conns[c] = true
		e.wg.Add(1)
		e.mu.Unlock()
		go func() {
			defer e.wg.Done()
			io.Copy(c, c)
			c.Close()
			e.mu.Lock()
			delete(e.conns, c)
			e.mu.Unlock()
		}()
	}
}

func (e *echoServer) close() {
	e.mu.Lock()
	e.shut = true
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	e.ln.Close()
	e.wg.Wait()
}
