// Package lab assembles a whole vlab: the reference scenario of
// SCENARIO.md (a client PC on the internet, an internet-facing NLB, an EC2
// instance in a private subnet, a package mirror) or a variant of it given
// as a Config, returned ready to use, and closed with every goroutine it
// started.
//
//	l, err := lab.New(lab.Default())
//	defer l.Close()
//	res, err := l.Run(ctx, "echo $SSH_CLIENT") // real SSH through the NLB
//
// In tests, lab.NewT(t, lab.Default()) does the same and closes the lab in
// t.Cleanup.
package lab
