//go:build race

package e2e

// raceEnabled: the race detector slows the stacks about 25 times, enough
// for TCP's retransmission timer to fire on a delayed ACK; tests that count
// retransmissions count them only without it (the benchmarks report them).
const raceEnabled = true
