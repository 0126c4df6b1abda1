package e2e

import (
	"net"
	"net/http"
)

// serveHTTP serves status(path, host) for every request on ln.
func serveHTTP(ln net.Listener, status func(path, host string) int) *http.Server {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status(r.URL.Path, r.Host))
	})}
	go srv.Serve(ln)
	return srv
}
