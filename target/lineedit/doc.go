// Package lineedit is the line editor of the simulated instance's
// interactive shell: readline's emacs mode (history, kill and yank, word
// moves, Tab completion, Ctrl-R reverse incremental search, bracketed paste)
// for a pty that exists only as an SSH channel.
//
// It replaces golang.org/x/term's Terminal, which has no reverse search.
// Everything happens on the io.Reader and io.Writer an Editor is given: the
// keys arrive as bytes from the client's terminal, and the echo and redraws
// go back as escape sequences for it. There is no local tty, so nothing here
// reads os.Stdin or puts any terminal of the host in raw mode.
//
// The editor draws for a VT100-like terminal (xterm, VTE, tmux, Windows
// Terminal) whose size it is told with SetSize. It counts every rune as one
// column (control characters pasted into a line show as ^X, two columns), so
// double-width characters may be drawn in the wrong place: the lines a
// remote user types here are ASCII commands.
package lineedit
