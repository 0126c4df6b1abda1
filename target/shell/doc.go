// Package shell is the small POSIX-like shell a vlab instance serves over
// SSH: it parses what people type (quotes, $VAR and ${VAR}, ;, &&, ||, |)
// and runs built-in commands that report the simulated host (hostname, ss,
// ip…), never the real machine. Commands see the host through the System
// interface, so the shell knows nothing of stacks or fabrics.
package shell
