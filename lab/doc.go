// Package lab assembles a whole vlab from a topology and returns it ready
// to use, closed with every goroutine it started. The default topology is
// the reference scenario of ARCHITECTURE.md (a client PC on the internet, an
// internet-facing NLB, an EC2 instance in a private subnet, a package
// mirror); Config's switches vary it, and Config.Topology replaces it with
// one's own, written in Go or read from YAML by package topology.
//
//	l, err := lab.New(lab.Default())
//	defer l.Close()
//	res, err := l.Run(ctx, "echo $SSH_CLIENT") // real SSH through the NLB
//
//	top, err := topology.Parse("lab.yaml", data)
//	l, err := lab.New(lab.Config{Topology: top, LoadBalancer: "web"})
//
// In tests, labtest.New(t, cfg) does the same, fails the test when the lab
// cannot be built, and closes the lab in t.Cleanup, keeping every
// interface's capture when the test failed.
package lab
