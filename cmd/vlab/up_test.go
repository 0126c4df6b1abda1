package main

import (
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Stopping the API waits for the calls in flight: the lab closes after
// them, not under them.
func TestServeAPIStopWaitsForCallsInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	entered, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	srv, stop := serveAPI(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		close(entered)
		<-release
	}), ln)
	// Shutdown (not Close) runs the hooks: the call in flight may end.
	srv.RegisterOnShutdown(unblock)
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	stop()
	select {
	case <-done:
	default:
		t.Fatal("stop returned while a call was in flight")
	}
}
